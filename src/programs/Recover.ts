import { Clock, Duration, Effect, Metric, Option, Schedule, Schema, Stream } from "effect"
import { DeliveryId } from "../domain/WorkflowRunPayload.js"
import { DeliveryLog } from "../ports/DeliveryLog.js"
import { HookDeliveries, type HookDelivery } from "../ports/HookDeliveries.js"
import { isTransientGatewayError } from "../ports/WorkflowRunsGateway.js"
import * as Metrics from "./Metrics.js"
import { retryTransient } from "./RequestUpdates.js"

export interface RecoverReport {
  /** Delivery attempts GitHub listed since the time asked. */
  readonly listed: number
  /** Deliveries (by guid) first delivered since then that no attempt delivered with a 2xx. */
  readonly failed: number
  /** Of those, deliveries this service has recorded as processed all the same (answered 503 at the deadline, say). */
  readonly alreadyProcessed: number
  /** Redeliveries GitHub accepted. */
  readonly redelivered: number
  /** Redeliveries GitHub refused, with why. */
  readonly refused: ReadonlyArray<{ readonly guid: string; readonly detail: string }>
}

const decodeDeliveryId = Schema.decodeUnknownOption(DeliveryId)

/**
 * Asks GitHub which deliveries of the configured hook failed since `since` (epoch ms) and asks for
 * each to be delivered again: a delivery (guid) whose first attempt is since then and none of whose
 * attempts was answered 2xx, and that this service has not recorded as processed. Its newest attempt
 * is redelivered. Deliveries first sent before `since` are left alone, so a delivery that keeps
 * failing is asked again only while its first attempt is in the window. A store failure ends the
 * pass (redelivering into a store that is down only fails again); a rate limit stops the
 * redeliveries, which the next pass resumes.
 */
export const recoverDeliveries = Effect.fn("Recover.recoverDeliveries")(function* (options: {
  readonly since: number
}) {
  const hooks = yield* HookDeliveries
  const log = yield* DeliveryLog
  let listed = 0
  const newest = new Map<string, HookDelivery>()
  const succeeded = new Set<string>()
  const firstSeen = new Set<string>()
  yield* Stream.runForEach(hooks.list(options.since), (attempt) =>
    Effect.sync(() => {
      listed += 1
      if (attempt.statusCode >= 200 && attempt.statusCode < 300) succeeded.add(attempt.guid)
      if (!attempt.redelivery) firstSeen.add(attempt.guid)
      if (!newest.has(attempt.guid)) newest.set(attempt.guid, attempt)
    }),
  )
  const failed = [...newest.values()]
    .filter((attempt) => firstSeen.has(attempt.guid) && !succeeded.has(attempt.guid))
    .sort((left, right) => left.deliveredAt - right.deliveredAt)
  let alreadyProcessed = 0
  let redelivered = 0
  const refused: Array<{ readonly guid: string; readonly detail: string }> = []
  for (const attempt of failed) {
    const deliveryId = decodeDeliveryId(attempt.guid)
    if (Option.isSome(deliveryId) && Option.isSome(yield* retryTransient(log.processed(deliveryId.value)))) {
      alreadyProcessed += 1
      continue
    }
    const asked = yield* Effect.either(hooks.redeliver(attempt.id))
    if (asked._tag === "Right") {
      redelivered += 1
      yield* Metric.increment(Metrics.redeliveries.requested)
      continue
    }
    yield* Metric.increment(Metrics.redeliveries.failed)
    refused.push({ guid: attempt.guid, detail: asked.left.message })
    if (isTransientGatewayError(asked.left)) break
  }
  return { listed, failed: failed.length, alreadyProcessed, redelivered, refused } satisfies RecoverReport
})

/**
 * Recovers failed deliveries until interrupted: a pass at once, looking back `lookback`, then one
 * every `interval` (jittered), each looking back `lookback` from its own start. A pass that fails
 * (GitHub or the store unavailable) is logged and the next one tries again.
 */
export const recoverContinually = (interval: Duration.DurationInput, lookback: Duration.DurationInput) => {
  const pass = Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const report = yield* recoverDeliveries({ since: now - Duration.toMillis(lookback) })
    yield* (report.redelivered + report.refused.length > 0 ? Effect.logInfo : Effect.logDebug)(
      "recover pass",
    ).pipe(
      Effect.annotateLogs({
        listed: report.listed,
        failed: report.failed,
        alreadyProcessed: report.alreadyProcessed,
        redelivered: report.redelivered,
        refused: report.refused.length,
      }),
    )
  }).pipe(Effect.catchAllCause((cause) => Effect.logWarning("recover pass failed", cause)))
  return Effect.repeat(pass, Schedule.spaced(interval).pipe(Schedule.jittered))
}
