import { assert, describe, it } from "@effect/vitest"
import {
  Clock,
  ConfigProvider,
  Duration,
  Effect,
  Either,
  Fiber,
  Layer,
  Metric,
  Option,
  Ref,
  Schema,
  Stream,
  TestClock,
} from "effect"
import { backgroundReplay } from "../../../src/adapters/http/Server.js"
import * as Settings from "../../../src/adapters/Settings.js"
import { DeliveryId } from "../../../src/domain/WorkflowRunPayload.js"
import { DeliveryLog } from "../../../src/ports/DeliveryLog.js"
import { RequestStore } from "../../../src/ports/RequestStore.js"
import { dispatchRun } from "../../../src/programs/DispatchRun.js"
import * as Metrics from "../../../src/programs/Metrics.js"
import { processDelivery } from "../../../src/programs/Webhooks.js"
import * as FaultSwitchLayer from "../../../src/simulation/adapters/FaultSwitch.js"
import { FaultSwitch } from "../../../src/simulation/adapters/FaultSwitch.js"
import * as GitHubSimulator from "../../../src/simulation/adapters/github/GitHubSimulator.js"
import { requestId } from "../../support/fixtures.js"
import { repository, world } from "../../support/world.js"

const interval = Duration.minutes(1)
const faultyWorld = world({ mode: "run-details" }, FaultSwitchLayer.layerMemory)

const deliveryOf = (id: string, body: string) => ({
  deliveryId: Schema.decodeSync(DeliveryId)(id),
  event: "workflow_run",
  headers: { "x-github-event": "workflow_run" },
  body,
})

/** Dispatches `id`'s apply, lets the run finish, and returns its `completed` event as GitHub sends it. */
const completedRun = (id: string) =>
  Effect.gen(function* () {
    const simulator = yield* GitHubSimulator.GitHubSimulator
    yield* dispatchRun({
      kind: "apply",
      requestId: requestId(id),
      repository,
      workflow: "apply.yml",
      ref: "main",
      inputs: { request_id: id },
    })
    yield* TestClock.adjust("2 minutes")
    const completed = (yield* simulator.publishedEvents).find((event) => event.action === "completed")
    return JSON.stringify(completed)
  })

/** Processes a delivery while the request documents are throttled: it ends parked. */
const parkWhileFaulty = (id: string, body: string) =>
  Effect.gen(function* () {
    const fault = yield* FaultSwitch
    yield* Ref.set(fault, { on: true, prefix: "requests/" })
    const fiber = yield* Effect.fork(processDelivery(deliveryOf(id, body)))
    yield* TestClock.adjust("30 seconds")
    assert.strictEqual((yield* Fiber.join(fiber))._tag, "Parked")
  })

const parkedDeliveries = Effect.flatMap(DeliveryLog, (log) =>
  Effect.map(Stream.runCollect(log.parked), (parked) =>
    Array.from(parked).flatMap((each) => (each._tag === "Readable" ? [each] : [])),
  ),
)
const parkedAttempts = Effect.map(parkedDeliveries, (parked) => parked.map((each) => each.attempts))

const nowInMinutes = Effect.map(Clock.currentTimeMillis, (millis) => millis / 60_000)

/** Advances the clock 30 seconds at a time until the parking lot is empty (25 minutes at most); returns when. */
const minutesUntilNothingParked = Effect.gen(function* () {
  for (let step = 0; step < 50; step++) {
    yield* TestClock.adjust("30 seconds")
    if ((yield* parkedAttempts).length === 0) return yield* nowInMinutes
  }
  return assert.fail("still parked after 25 minutes")
})

const applyAttempt = (id: string) =>
  Effect.gen(function* () {
    const read = yield* (yield* RequestStore).get(requestId(id))
    return read._tag === "Found"
      ? { version: read.document.version, attempt: read.document.runs.apply?.attempts[0] }
      : undefined
  })

describe("background replay in the service", () => {
  it.scoped(
    "a parked delivery is applied once the fault clears, with nobody replaying by hand, backing off meanwhile",
    () =>
      Effect.gen(function* () {
        const body = yield* completedRun("req_background")
        const before = yield* applyAttempt("req_background")
        yield* parkWhileFaulty("delivery-background", body)
        const replayedBefore = (yield* Metric.value(Metrics.replays.applied)).count

        yield* Layer.build(backgroundReplay(Option.some(interval)))
        // The fault stays on for an hour: every pass parks the delivery again, one attempt more.
        const passesAt: Array<number> = []
        let seen = 1
        for (let minute = 0; minute < 60; minute += 0.5) {
          yield* TestClock.adjust("30 seconds")
          const [parked] = yield* parkedDeliveries
          assert.isDefined(parked)
          assert.isAtMost(parked.attempts, seen + 1, "one pass per step at most")
          if (parked.attempts > seen) {
            passesAt.push(Date.parse(parked.parkedAt) / 60_000)
            seen = parked.attempts
          }
        }
        const gaps = passesAt.slice(1).map((at, index) => at - passesAt[index]!)
        // A pass every minute would be 60; doubling waits (1, 2, 4, 8, 16, 16 … minutes, ± 20 %) make 6 to 8.
        assert.isAtLeast(passesAt.length, 6, `passes at ${passesAt.join(", ")}`)
        assert.isAtMost(passesAt.length, 8, `passes at ${passesAt.join(", ")}`)
        for (const [index, gap] of gaps.slice(0, 3).entries()) assert.isAbove(gaps[index + 1]!, gap * 1.3)
        // Capped at 16 minutes (jittered up to 19.2, plus the pass itself).
        for (const gap of gaps) assert.isAtMost(gap, 20)

        yield* Ref.set(yield* FaultSwitch, { on: false, prefix: "requests/" })
        const clearedAt = yield* minutesUntilNothingParked
        assert.isAtMost(clearedAt - passesAt[passesAt.length - 1]!, 20)
        const after = yield* applyAttempt("req_background")
        assert.strictEqual(after?.attempt?.status, "completed")
        assert.strictEqual(after?.version, (before?.version ?? 0) + 1, "applied exactly once")
        const recorded = yield* (yield* DeliveryLog).processed(
          Schema.decodeSync(DeliveryId)("delivery-background"),
        )
        assert.isTrue(Option.isSome(recorded))
        const replayedAfter = (yield* Metric.value(Metrics.replays.applied)).count
        assert.strictEqual(replayedAfter - replayedBefore, 1)

        // The pass that emptied the lot reset the backoff: a delivery parked now waits about a minute, not 16.
        yield* (yield* DeliveryLog).park({
          deliveryId: Schema.decodeSync(DeliveryId)("delivery-later"),
          headers: { "x-github-event": "workflow_run" },
          body,
          reason: "parked by the test",
          parkedAt: "2026-01-01T00:00:00.000Z",
          attempts: 1,
        })
        const replayedAt = yield* minutesUntilNothingParked
        assert.isAtMost(replayedAt - clearedAt, 1.5)
      }).pipe(Effect.provide(faultyWorld)),
  )

  it.scoped("with the replay off, a parked delivery stays parked", () =>
    Effect.gen(function* () {
      const body = yield* completedRun("req_no_background")
      yield* parkWhileFaulty("delivery-stays", body)
      yield* Ref.set(yield* FaultSwitch, { on: false, prefix: "requests/" })
      yield* Layer.build(backgroundReplay(Option.none()))
      yield* TestClock.adjust("1 hour")
      assert.deepStrictEqual(yield* parkedAttempts, [1])
    }).pipe(Effect.provide(faultyWorld)),
  )

  it.effect("RUN_INDEX_REPLAY_INTERVAL takes a duration or off; anything else is an error naming it", () =>
    Effect.gen(function* () {
      const read = (value: string | undefined) =>
        Effect.either(
          Effect.withConfigProvider(
            Settings.replayInterval,
            ConfigProvider.fromMap(
              new Map(value === undefined ? [] : [["RUN_INDEX_REPLAY_INTERVAL", value]]),
            ),
          ),
        )
      const minutes = (value: string | undefined) =>
        Effect.map(read(value), Either.map(Option.map(Duration.toMinutes)))
      assert.deepStrictEqual(yield* minutes(undefined), Either.right(Option.some(0.5)))
      assert.deepStrictEqual(yield* minutes("5 minutes"), Either.right(Option.some(5)))
      assert.deepStrictEqual(yield* minutes("off"), Either.right(Option.none()))
      for (const bad of ["ninety", "0 seconds", "5"]) {
        const result = yield* read(bad)
        assert.isTrue(Either.isLeft(result), bad)
        assert.include(String(Either.isLeft(result) ? result.left : ""), "RUN_INDEX_REPLAY_INTERVAL")
      }
    }),
  )
})
