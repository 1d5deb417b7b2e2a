/**
 * Processing one verified webhook delivery: deduplicated, applied, recorded, or parked. The parts
 * are Correlation and WorkflowRunHandling (a `workflow_run`), Parking (what fails) and Replay.
 */
import { Clock, Duration, Effect, Either, Metric, Option, Schema } from "effect"
import { describeParseError } from "../domain/EntryValidation.js"
import { timestampFromMillis } from "../domain/Timestamp.js"
import { WorkflowRunPayload } from "../domain/WorkflowRunPayload.js"
import { DeliveriesInFlight } from "../ports/DeliveriesInFlight.js"
import { DeliveryLog, type ParkedDelivery } from "../ports/DeliveryLog.js"
import { StoreError } from "../ports/StoreError.js"
import { WebhookSettings } from "../ports/WebhookSettings.js"
import { type Delivery, type DeliveryResult, MalformedPayload } from "./Delivery.js"
import * as Metrics from "./Metrics.js"
import { deadLetter, park } from "./Parking.js"
import { retryTransient } from "./RequestUpdates.js"
import { handleWorkflowRun } from "./WorkflowRunHandling.js"

const decodePayload = Schema.decodeUnknownEither(Schema.parseJson(WorkflowRunPayload))

const outcomeOf = (
  result: Either.Either<DeliveryResult, MalformedPayload | StoreError>,
): Metrics.DeliveryOutcome => {
  // A store error here came before processing or while parking: nothing was recorded, GitHub gets 503.
  if (Either.isLeft(result)) return result.left._tag === "MalformedPayload" ? "malformed" : "failed"
  switch (result.right._tag) {
    case "Duplicate":
      return "duplicate"
    case "Pong":
      return "pong"
    case "Ignored":
      return "ignored"
    case "Processed":
      return "processed"
    case "Parked":
      return "parked"
    case "DeadLetter":
      return "dead_letter"
  }
}

const recordedOutcomes = new Set<DeliveryResult["_tag"]>(["Processed", "Ignored", "Duplicate", "DeadLetter"])

/**
 * Processes one verified delivery: a duplicate changes nothing; `ping` is answered; other events are
 * recorded and ignored; a `workflow_run` is handled and only then recorded. A delivery that still
 * fails after bounded retries is parked with its headers and raw body for replay. Concurrent copies
 * of one delivery in this process (with `DeliveriesInFlight` provided) run once; the others wait and
 * answer as duplicates. Counted by outcome, and timed.
 */
export const processDelivery = Effect.fn("Webhooks.processDelivery", {
  // Nothing reads a span's stack on this path, and capturing one cost as much as a store call.
  captureStackTrace: false,
})(function* (delivery: Delivery, previousAttempts = 0) {
  // Milliseconds, not nanoseconds: TestClock cannot express the fractional instants jittered retries
  // leave behind as nanoseconds, and the histogram's first bucket is 1 ms anyway.
  const started = yield* Clock.currentTimeMillis
  const inFlight = yield* DeliveriesInFlight
  const run = yield* inFlight.once(
    delivery.deliveryId,
    Effect.either(
      deliver(delivery, previousAttempts).pipe(
        Effect.annotateLogs({ deliveryId: delivery.deliveryId, event: delivery.event }),
      ),
    ),
  )
  const settled = yield* run.result
  // A copy that waited for a run already under way: what that run recorded is a duplicate for this
  // one; what it did not record (parked, failed, a ping) is answered the same way.
  const result =
    run.first || Either.isLeft(settled) || !recordedOutcomes.has(settled.right._tag)
      ? settled
      : Either.right<DeliveryResult>({ _tag: "Duplicate" })
  const elapsedMillis = (yield* Clock.currentTimeMillis) - started
  const outcome = outcomeOf(result)
  yield* Metric.update(Metrics.processingSeconds[outcome], elapsedMillis / 1000)
  yield* Metric.increment(Metrics.deliveries[outcome])
  return yield* result
})

/**
 * Processes a delivery as far as it goes, in as few store calls as it can; any store failure on the
 * way is returned for `park`. There is no look for an earlier record first: a `workflow_run` is
 * applied (the patch rules make a repeat change nothing) and then recorded with a create-if-absent
 * write, which is where a duplicate shows — an index read, a document read and a compare-and-set
 * write, plus that record.
 */
const apply = Effect.fnUntraced(function* (delivery: Delivery) {
  const log = yield* DeliveryLog
  const recordFirst = (outcome: string) =>
    Effect.flatMap(Clock.currentTimeMillis, (millis) =>
      retryTransient(
        log.record({
          deliveryId: delivery.deliveryId,
          event: delivery.event,
          outcome,
          processedAt: timestampFromMillis(millis),
        }),
      ),
    )
  // Neither needs the store: a ping is answered and a malformed body refused even while it is down.
  if (delivery.event === "ping") return { _tag: "Pong" } as DeliveryResult
  if (delivery.event !== "workflow_run") {
    return (
      (yield* recordFirst("ignored")) ? { _tag: "Ignored", event: delivery.event } : { _tag: "Duplicate" }
    ) as DeliveryResult
  }
  const payload = decodePayload(delivery.body)
  if (Either.isLeft(payload)) return yield* new MalformedPayload({ detail: describeParseError(payload.left) })
  const handled = yield* handleWorkflowRun(payload.right)
  return (
    (yield* recordFirst(handled.outcome)) ? { _tag: "Processed", ...handled } : { _tag: "Duplicate" }
  ) as DeliveryResult
})

const deliver = Effect.fnUntraced(function* (delivery: Delivery, previousAttempts: number) {
  const { processingBudgetMillis } = yield* WebhookSettings
  const applied = yield* Effect.either(
    apply(delivery).pipe(
      Effect.timeoutFail({
        duration: Duration.millis(processingBudgetMillis),
        onTimeout: () =>
          new StoreError({
            reason: "Unavailable",
            operation: "deliver",
            detail: `processing with its retries did not finish within ${processingBudgetMillis} ms`,
          }),
      }),
    ),
  )
  if (Either.isRight(applied)) return applied.right
  const failure = applied.left
  if (failure._tag === "MalformedPayload") return yield* failure
  const kept: ParkedDelivery = {
    deliveryId: delivery.deliveryId,
    headers: delivery.headers,
    body: delivery.body,
    reason: failure.message,
    parkedAt: timestampFromMillis(yield* Clock.currentTimeMillis),
    attempts: previousAttempts + 1,
  }
  if (failure._tag === "RequestUnavailable" && failure.reason === "Invalid") {
    const dead = yield* deadLetter(kept, failure.reason)
    if (Option.isSome(dead)) return dead.value
  }
  return yield* park(kept, failure.reason)
})
