import { Effect, Either, Layer, Option, Schema, Stream } from "effect"
import { describeParseError } from "../domain/EntryValidation.js"
import {
  decodeRequestDocument,
  encodeRequestDocument,
  type RequestDocument,
  requestPath,
} from "../domain/RequestDocument.js"
import { RequestId } from "../domain/RequestId.js"
import { RequestRead, RequestStore, RequestWrite } from "../ports/RequestStore.js"
import { ObjectStore, WriteCondition, type WriteOutcome } from "./objects/ObjectStore.js"

const requestsPrefix = "requests/"
const decodeRequestId = Schema.decodeUnknownOption(RequestId)
const requestIdOf = (path: string): Option.Option<RequestId> =>
  path.startsWith(requestsPrefix) &&
  path.endsWith(".json") &&
  !path.slice(requestsPrefix.length).includes("/")
    ? decodeRequestId(path.slice(requestsPrefix.length, -".json".length))
    : Option.none()

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

    const recentlyModified = Effect.fn("RequestStore.recentlyModified")(function* (limit: number) {
      const newest: Array<{ readonly requestId: RequestId; readonly lastModified: number }> = []
      yield* objects.list(requestsPrefix).pipe(
        Stream.runForEach((listed) =>
          Effect.sync(() => {
            const requestId = requestIdOf(listed.path)
            if (Option.isNone(requestId)) return
            const oldest = newest[newest.length - 1]
            if (newest.length >= limit && oldest !== undefined && oldest.lastModified >= listed.lastModified)
              return
            const at = newest.findIndex((each) => each.lastModified < listed.lastModified)
            newest.splice(at < 0 ? newest.length : at, 0, {
              requestId: requestId.value,
              lastModified: listed.lastModified,
            })
            if (newest.length > limit) newest.pop()
          }),
        ),
      )
      return newest.map((each) => each.requestId)
    })

    const list = objects.list(requestsPrefix).pipe(Stream.filterMap((listed) => requestIdOf(listed.path)))

    return RequestStore.of({ get, compareAndSet, create, recentlyModified, list })
  }),
)
