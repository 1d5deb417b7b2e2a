/** Keeping what could not be processed: parked for replay, spooled locally, or kept as a dead letter. */
import { Duration, Effect, Either, Metric, Option } from "effect"
import { DeliveryLog, type ParkedDelivery } from "../ports/DeliveryLog.js"
import { DeliverySpool } from "../ports/DeliverySpool.js"
import { StoreError } from "../ports/StoreError.js"
import { WebhookSettings } from "../ports/WebhookSettings.js"
import type { DeliveryResult } from "./Delivery.js"
import * as Metrics from "./Metrics.js"
import { retryTransient } from "./RequestUpdates.js"

/**
 * Keeps a delivery that failed for replay: in the store's parking lot, or — when the store cannot
 * take it either, or does not answer within `WebhookSettings.parkWaitMillis` — in this instance's local spool, which
 * `drainSpool` moves to the store once it answers. The store is tried once: it has just failed, and
 * the spool answers at once. Only when both refuse does the delivery fail (the store's error;
 * nothing kept, GitHub's 503 is all that is left of it, for `deliveries recover` or a person to
 * redeliver).
 */
export const park = Effect.fnUntraced(function* (parked: ParkedDelivery, reason: string) {
  const log = yield* DeliveryLog
  const { parkWaitMillis } = yield* WebhookSettings
  yield* Effect.logWarning("delivery parked").pipe(
    Effect.annotateLogs({ deliveryId: parked.deliveryId, reason, detail: parked.reason }),
  )
  const result: DeliveryResult = { _tag: "Parked", reason, detail: parked.reason }
  const stored = yield* Effect.either(
    log.park(parked).pipe(
      Effect.timeoutFail({
        duration: Duration.millis(parkWaitMillis),
        onTimeout: () =>
          new StoreError({
            reason: "Unavailable",
            operation: "park",
            detail: `the store did not take the parked delivery within ${parkWaitMillis} ms`,
          }),
      }),
    ),
  )
  if (Either.isRight(stored)) return result
  yield* Metric.increment(Metrics.storeErrors[stored.left.reason])
  const spool = yield* DeliverySpool
  const spooled = yield* Effect.either(spool.keep(parked))
  if (Either.isLeft(spooled)) {
    yield* Effect.logError("delivery neither parked nor spooled: only a redelivery can bring it back").pipe(
      Effect.annotateLogs({
        deliveryId: parked.deliveryId,
        store: stored.left.message,
        spool: spooled.left.message,
      }),
    )
    return yield* stored.left
  }
  yield* Effect.logWarning("delivery spooled locally until the store answers").pipe(
    Effect.annotateLogs({ deliveryId: parked.deliveryId, store: stored.left.message }),
  )
  yield* Metric.set(Metrics.spooledDeliveries, (yield* spool.usage).deliveries)
  return result
})

/**
 * Keeps a delivery that can never succeed as it is, and records it as processed so that GitHub's
 * redeliveries are duplicates: a retry cannot repair an invalid request document, a person can.
 * `None` when the store cannot take it (then it is parked like any failure the store caused).
 */
export const deadLetter = Effect.fnUntraced(function* (kept: ParkedDelivery, reason: string) {
  const log = yield* DeliveryLog
  const written = yield* Effect.either(
    Effect.zipRight(
      retryTransient(log.deadLetter(kept)),
      retryTransient(
        log.record({
          deliveryId: kept.deliveryId,
          event: "workflow_run",
          outcome: "DeadLetter",
          processedAt: kept.parkedAt,
        }),
      ),
    ),
  )
  if (Either.isLeft(written)) return Option.none<DeliveryResult>()
  yield* Effect.logWarning("delivery dead-lettered: it cannot succeed until its cause is repaired").pipe(
    Effect.annotateLogs({ deliveryId: kept.deliveryId, reason, detail: kept.reason }),
  )
  return Option.some<DeliveryResult>(
    written.right ? { _tag: "DeadLetter", reason, detail: kept.reason } : { _tag: "Duplicate" },
  )
})
