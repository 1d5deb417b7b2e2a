import { Data, Effect, Metric, Option, Schedule } from "effect"
import { newRequestDocument, type RequestDocument } from "../domain/RequestDocument.js"
import type { RequestId } from "../domain/RequestId.js"
import { RequestStore } from "../ports/RequestStore.js"
import { isTransient, type StoreError } from "../ports/StoreError.js"
import * as Metrics from "./Metrics.js"
import { retryOnFailure } from "./Retry.js"

/** The request document cannot be updated: it is not a request document, or it does not exist. */
export class RequestUnavailable extends Data.TaggedError("RequestUnavailable")<{
  readonly requestId: RequestId
  readonly reason: "Invalid" | "Missing" | "Contended"
  readonly detail: string
}> {
  override get message(): string {
    return `request ${this.requestId}: ${this.detail}`
  }
}

class Stale extends Data.TaggedError("Stale")<{}> {}

/**
 * Compare-and-set lost to another writer: re-read and re-apply, jittered, each wait at most 200 ms,
 * 20 times at most — a few seconds in all, well inside GitHub's 10 s for a webhook.
 */
export const conflictRetries = Schedule.exponential("10 millis", 1.5).pipe(
  Schedule.union(Schedule.spaced("200 millis")),
  Schedule.jittered,
  Schedule.intersect(Schedule.recurs(20)),
)

/** Store calls that failed for a passing reason (throttling, an outage) are retried a few times. */
export const transientStoreRetries = Schedule.exponential("100 millis", 2).pipe(
  Schedule.jittered,
  Schedule.intersect(Schedule.recurs(4)),
)

const isStoreError = (error: { readonly _tag: string }): error is StoreError => error._tag === "StoreError"

const isTransientStoreError = (error: { readonly _tag: string }) => isStoreError(error) && isTransient(error)

/** Runs a store call, retrying transient failures on `transientStoreRetries`; every failure is counted. */
export const retryTransient = <A, E extends { readonly _tag: string }, R>(
  effect: Effect.Effect<A, E, R>,
): Effect.Effect<A, E, R> => {
  const counted = Effect.tapError(effect, (error) =>
    isStoreError(error) ? Metric.increment(Metrics.storeErrors[error.reason]) : Effect.void,
  )
  return retryOnFailure(counted, { schedule: transientStoreRetries, while: isTransientStoreError })
}

export interface UpdateOptions {
  /** Create the document when it does not exist (from `newRequestDocument`) before applying the change. */
  readonly createIfMissing?: boolean
}

/** What a change decided from the document it was given: the document to write, if any, and what it computed. */
export interface Decision<A> {
  readonly write: Option.Option<RequestDocument>
  readonly result: A
}

/**
 * Reads the request document, applies the pure `decide` and writes its document with compare-and-set,
 * re-reading and re-deciding on conflict. A decision to write `None` writes nothing. Returns the
 * document as stored afterwards, whether this call wrote it, and the `result` of the decision that
 * stood (the last one made). Untraced: it runs on every webhook delivery, under the caller's span.
 */
export const updateRequestWith = Effect.fnUntraced(function* <A>(
  requestId: RequestId,
  decide: (document: RequestDocument) => Decision<A>,
  options: UpdateOptions = {},
) {
  const store = yield* RequestStore
  const attempt = Effect.gen(function* () {
    const read = yield* retryTransient(store.get(requestId))
    switch (read._tag) {
      case "Invalid":
        return yield* new RequestUnavailable({
          requestId,
          reason: "Invalid",
          detail: `stored document is invalid: ${read.detail}`,
        })
      case "Missing": {
        if (options.createIfMissing !== true) {
          return yield* new RequestUnavailable({ requestId, reason: "Missing", detail: "no such request" })
        }
        const fresh = newRequestDocument(requestId)
        const decision = decide(fresh)
        const created = yield* retryTransient(
          store.create(
            requestId,
            Option.getOrElse(decision.write, () => fresh),
          ),
        )
        if (created._tag === "Stale") return yield* new Stale()
        return { document: created.document, changed: true, result: decision.result }
      }
      case "Found": {
        const decision = decide(read.document)
        if (Option.isNone(decision.write)) {
          return { document: read.document, changed: false, result: decision.result }
        }
        const outcome = yield* retryTransient(store.compareAndSet(requestId, decision.write.value, read.tag))
        if (outcome._tag === "Stale") return yield* new Stale()
        return { document: outcome.document, changed: true, result: decision.result }
      }
    }
  })
  return yield* retryOnFailure(attempt, {
    schedule: conflictRetries,
    while: (error) => error._tag === "Stale",
  }).pipe(
    Effect.catchTag("Stale", () =>
      Effect.fail(
        new RequestUnavailable({
          requestId,
          reason: "Contended",
          detail: "too many concurrent writers; gave up",
        }),
      ),
    ),
  )
})

/**
 * `updateRequestWith` for a change that computes nothing else: `change` returning `None` writes
 * nothing. Returns the document as stored afterwards and whether this call wrote it.
 */
export const updateRequest = (
  requestId: RequestId,
  change: (document: RequestDocument) => Option.Option<RequestDocument>,
  options: UpdateOptions = {},
) =>
  Effect.map(
    updateRequestWith(requestId, (document) => ({ write: change(document), result: undefined }), options),
    ({ document, changed }) => ({ document, changed }),
  )
