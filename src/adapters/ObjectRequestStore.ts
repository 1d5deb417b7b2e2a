import { Effect, Either, Layer, Option } from "effect"
import { describeParseError } from "../domain/EntryValidation.js"
import {
  decodeRequestDocument,
  encodeRequestDocument,
  type RequestDocument,
  requestPath,
} from "../domain/RequestDocument.js"
import type { RequestId } from "../domain/RequestId.js"
import { RequestRead, RequestStore, RequestWrite } from "../ports/RequestStore.js"
import { ObjectStore, WriteCondition, type WriteOutcome } from "./objects/ObjectStore.js"

const written = (document: RequestDocument, outcome: WriteOutcome) =>
  outcome._tag === "Written" ? RequestWrite.Written({ document, tag: outcome.etag }) : RequestWrite.Stale()

/** Request documents over any object store: ETags as version tags, conditional writes for compare-and-set. */
export const layer: Layer.Layer<RequestStore, never, ObjectStore> = Layer.effect(
  RequestStore,
  Effect.gen(function* () {
    const objects = yield* ObjectStore

    const get = Effect.fn("RequestStore.get")(function* (requestId: RequestId) {
      const stored = yield* objects.get(requestPath(requestId))
      if (Option.isNone(stored)) return RequestRead.Missing()
      return Either.match(decodeRequestDocument(stored.value.body), {
        onLeft: (error) => RequestRead.Invalid({ detail: describeParseError(error) }),
        onRight: (document) => RequestRead.Found({ document, tag: stored.value.etag }),
      })
    })

    const compareAndSet = Effect.fn("RequestStore.compareAndSet")(function* (
      requestId: RequestId,
      document: RequestDocument,
      tag: string,
    ) {
      const next = { ...document, version: document.version + 1 }
      const outcome = yield* objects.put(
        requestPath(requestId),
        encodeRequestDocument(next),
        WriteCondition.IfMatch({ etag: tag }),
      )
      return written(next, outcome)
    })

    const create = Effect.fn("RequestStore.create")(function* (
      requestId: RequestId,
      document: RequestDocument,
    ) {
      const next = { ...document, version: 1 }
      const outcome = yield* objects.put(
        requestPath(requestId),
        encodeRequestDocument(next),
        WriteCondition.IfAbsent(),
      )
      return written(next, outcome)
    })

    return RequestStore.of({ get, compareAndSet, create })
  }),
)
