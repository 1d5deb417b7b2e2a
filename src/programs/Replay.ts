/** Replaying parked deliveries: by hand (`deliveries replay`) and continually in the service. */
import { Cause, Duration, Effect, Either, Metric, Option, Schedule, Stream } from "effect"
import type { DeliveryId } from "../domain/WorkflowRunPayload.js"
import { DeliveryLog } from "../ports/DeliveryLog.js"
import { DeliverySpool } from "../ports/DeliverySpool.js"
import * as Metrics from "./Metrics.js"
import { retryTransient } from "./RequestUpdates.js"
import { processDelivery } from "./Webhooks.js"

/**
 * Moves what this instance's spool holds to the store's parking lot, oldest first, stopping at the
 * first store failure (the store is still down; the rest stays spooled for the next pass). A
 * delivery moved twice (two processes draining one spool) is parked twice, which replaces it.
 */
export const drainSpool = Effect.fn("Webhooks.drainSpool")(function* () {
  const log = yield* DeliveryLog
  const spool = yield* DeliverySpool
  let moved = 0
  const drained = yield* Stream.runForEach(spool.spooled, (parked) =>
    Effect.zipRight(log.park(parked), spool.remove(parked.deliveryId)).pipe(
      Effect.tap(() => Effect.sync(() => (moved += 1))),
    ),
  ).pipe(Effect.either)
  const left = (yield* spool.usage).deliveries
  yield* Metric.set(Metrics.spooledDeliveries, left)
  if (moved > 0 || Either.isLeft(drained))
    yield* (Either.isLeft(drained) ? Effect.logWarning : Effect.logInfo)("spool drained to the store").pipe(
      Effect.annotateLogs({
        moved,
        stillSpooled: left,
        ...(Either.isLeft(drained) ? { stoppedBy: drained.left.message } : {}),
      }),
    )
  return { moved, stillSpooled: left }
})

/**
 * Moves the local spool to the store (`drainSpool`), then replays every parked delivery once (or
 * only `deliveryId`); those that now succeed are unparked, the others stay parked.
 */
export const replayParked = Effect.fn("Webhooks.replayParked")(function* (
  options: { readonly deliveryId?: DeliveryId } = {},
) {
  const log = yield* DeliveryLog
  yield* drainSpool()
  let replayed = 0
  let stillParked = 0
  let unreadable = 0
  const chosen =
    options.deliveryId === undefined
      ? log.parked
      : Stream.filter(log.parked, (parked) => parked.deliveryId === options.deliveryId)
  yield* Stream.runForEach(chosen, (parked) =>
    Effect.gen(function* () {
      if (parked._tag === "Unreadable") {
        // Left where it is, for a person: `deliveries ls` shows it, `deliveries drop` removes it.
        unreadable += 1
        yield* Effect.logWarning("parked object unreadable, left in place").pipe(
          Effect.annotateLogs({ deliveryId: parked.deliveryId, path: parked.path, reason: parked.reason }),
        )
        return
      }
      const result = yield* processDelivery(
        {
          deliveryId: parked.deliveryId,
          event: parked.headers["x-github-event"] ?? "workflow_run",
          headers: parked.headers,
          body: parked.body,
        },
        parked.attempts,
      ).pipe(Effect.either)
      if (Either.isRight(result) && result.right._tag === "Parked") {
        stillParked += 1
        yield* Metric.increment(Metrics.replays.still_parked)
        return
      }
      // Processed, a duplicate, or a body that can never succeed: it leaves the parking lot.
      yield* retryTransient(log.unpark(parked.deliveryId))
      replayed += 1
      yield* Metric.increment(Metrics.replays.applied)
    }),
  )
  if (options.deliveryId === undefined) yield* Metric.set(Metrics.parkedDeliveries, stillParked + unreadable)
  return { replayed, stillParked, unreadable }
})

/**
 * The waits between replay passes: `interval` while passes empty the parking lot; while deliveries
 * stay parked (or a pass fails) each wait doubles, up to 16 × `interval`; every wait is jittered
 * (× 0.8–1.2) so that several instances drift apart. Its input is whether the last pass emptied the lot.
 */
export const replayBackoff = (interval: Duration.DurationInput) =>
  Schedule.exponential(interval, 2).pipe(
    Schedule.union(Schedule.spaced(Duration.times(interval, 16))),
    Schedule.jittered,
    Schedule.zipRight(Schedule.identity<boolean>()),
    Schedule.resetWhen((emptied) => emptied),
  )

/**
 * Replays parked deliveries until interrupted: a pass at once, then one after each `replayBackoff`
 * wait. A pass that found something is logged with what it replayed and what stays parked; a pass
 * that fails is logged and backs off like one that left deliveries parked — the loop never stops.
 *
 * Several instances (or an operator's `deliveries replay`) may replay the same delivery at once, and
 * that is harmless: processing is idempotent (atomic claims, compare-and-set writes, patches that
 * only move forward), the record is written only after processing succeeded and says the same
 * whoever writes it, and unparking an unparked delivery succeeds. The slower replay sees a duplicate
 * or an unchanged attempt and publishes no attempt event; at worst it parks the delivery again, and
 * the next pass finds it a duplicate and unparks it.
 */
export const replayContinually = (interval: Duration.DurationInput) => {
  const pass = replayParked().pipe(
    Effect.tap(({ replayed, stillParked, unreadable }) =>
      (replayed + stillParked + unreadable > 0 ? Effect.logInfo : Effect.logDebug)("replay pass").pipe(
        Effect.annotateLogs({ replayed, stillParked, unreadable }),
      ),
    ),
    Effect.map(({ stillParked }) => stillParked === 0),
    Effect.catchAllCause((cause) =>
      Effect.as(
        Option.match(Cause.failureOption(cause), {
          // An expected failure (the store unreachable, …) is routine: one line, no stack trace.
          onSome: (error) =>
            Effect.logInfo("replay pass failed").pipe(
              Effect.annotateLogs({
                reason:
                  typeof error === "object" && error !== null && "reason" in error ? error.reason : "unknown",
                detail: error instanceof Error ? error.message : String(error),
              }),
            ),
          onNone: () => Effect.logWarning("replay pass failed", cause),
        }),
        false,
      ),
    ),
  )
  return Effect.repeat(pass, replayBackoff(interval))
}
