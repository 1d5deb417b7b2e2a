/**
 * GitHub's webhook deliveries in a simulation: every event the simulator publishes is posted to an
 * instance's webhook pipeline after a seeded delay, sometimes twice (the same delivery id again, or a
 * new one); what each post came to is counted, and the failed ones are kept for redelivery.
 */
import { Effect, Either, type FiberRef, FiberSet, Queue } from "effect"
import { processDelivery } from "../../programs/Webhooks.js"
import type * as GitHubSimulator from "../adapters/github/GitHubSimulator.js"
import type { SimulationSettings } from "../domain/SimulationReport.js"
import type { Instance } from "./Instances.js"
import { instanceFor, planPosts } from "./Workload.js"
import { increment, makeDeliveryId } from "./World.js"

/** How far the run has got, for the progress line: requests whose dispatch ended, posts so far. */
export interface Progress {
  dispatched: number
  delivered: number
  readonly show: () => void
}

const outcomeName = (tag: string) => tag.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase()

export interface DeliverySetting {
  readonly settings: SimulationSettings
  readonly instances: ReadonlyArray<Instance>
  readonly simulator: GitHubSimulator.GitHubSimulator["Type"]
  /** Where a delivery counts its store operations. */
  readonly storeTally: FiberRef.FiberRef<{ operations: number } | undefined>
  readonly progress: Progress
}

/** Subscribes to GitHub's events and posts each as it falls due, in the scope's background. */
export const startDeliveries = ({ settings, instances, simulator, storeTally, progress }: DeliverySetting) =>
  Effect.gen(function* () {
    const { seed, faults } = settings
    const byOutcome: Record<string, number> = {}
    const storeOperationsByOutcome: Record<string, number> = {}
    const deliveryIds = new Set<string>()
    const failed = new Map<string, string>()
    let events = 0

    const deliver = (instance: Instance, deliveryId: string, body: string) =>
      Effect.gen(function* () {
        progress.delivered += 1
        progress.show()
        instance.posts += 1
        const operations = { operations: 0 }
        const result = yield* processDelivery({
          deliveryId: makeDeliveryId(deliveryId),
          event: "workflow_run",
          headers: { "x-github-event": "workflow_run", "x-github-delivery": deliveryId },
          body,
        }).pipe(Effect.provide(instance.webhook), Effect.either, Effect.locally(storeTally, operations))
        const outcome = Either.isLeft(result)
          ? "failed"
          : outcomeName(result.right._tag === "Processed" ? result.right.outcome : result.right._tag)
        increment(byOutcome, outcome)
        storeOperationsByOutcome[outcome] = (storeOperationsByOutcome[outcome] ?? 0) + operations.operations
        if (Either.isLeft(result)) {
          failed.set(deliveryId, body)
          return
        }
        failed.delete(deliveryId)
      })

    const inFlight = yield* FiberSet.make<void>()
    const subscription = yield* simulator.subscribe
    yield* Effect.forkScoped(
      Effect.forever(
        Effect.gen(function* () {
          for (const event of yield* Queue.takeBetween(subscription, 1, 1024)) {
            events += 1
            const body = JSON.stringify(event)
            const planned = planPosts(events, seed, faults)
            for (const [copy, post] of planned.entries()) {
              deliveryIds.add(post.deliveryId)
              const instance = instances[instanceFor(instances.length, seed, events, copy)]!
              yield* FiberSet.run(
                inFlight,
                Effect.zipRight(Effect.sleep(post.delayMillis), deliver(instance, post.deliveryId, body)),
              )
            }
          }
        }),
      ),
    )

    return {
      /** Waits until every post planned so far has been delivered. */
      settled: FiberSet.awaitEmpty(inFlight),
      /** Delivers every failed delivery again, as from GitHub's UI; how many there were. */
      redeliverFailed: Effect.gen(function* () {
        const redeliveries = [...failed]
        yield* Effect.forEach(
          redeliveries,
          ([deliveryId, body], position) =>
            deliver(instances[instanceFor(instances.length, seed, -1, position)]!, deliveryId, body),
          { concurrency: 8, discard: true },
        )
        return redeliveries.length
      }),
      deliveryIds,
      figures: () => ({ events, byOutcome, storeOperationsByOutcome }),
    }
  })
