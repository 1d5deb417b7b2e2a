import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Layer, Option, Queue, TestClock } from "effect"
import * as AttemptEventHubLayer from "../../src/adapters/AttemptEventHub.js"
import { AttemptEventHub } from "../../src/adapters/AttemptEventHub.js"
import { ObjectStore, WriteCondition } from "../../src/adapters/objects/ObjectStore.js"
import { dispatchRun } from "../../src/programs/DispatchRun.js"
import { reconcileAll, reconcileRequest } from "../../src/programs/Reconcile.js"
import * as GitHubSimulator from "../../src/simulation/adapters/github/GitHubSimulator.js"
import { requestId } from "../support/fixtures.js"
import { requestDocumentWithRun } from "../support/payloads.js"
import { attemptOf, repository, world } from "../support/world.js"

/** Dispatches (the webhook never comes) and lets `seconds` of simulated time pass. */
const dispatchWithoutWebhooks = (id: string, seconds = 120) =>
  Effect.gen(function* () {
    const result = yield* dispatchRun({
      kind: "apply",
      requestId: requestId(id),
      repository,
      workflow: "apply.yml",
      ref: "main",
      inputs: { request_id: id },
    })
    yield* TestClock.adjust(`${seconds} seconds`)
    return Option.getOrThrow(result.runId)
  })

/** Runs `effect` while simulated time passes, for its retries. */
const whileTimePasses = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(effect)
    yield* TestClock.adjust("1 minute")
    return yield* Fiber.join(fiber)
  })

describe("reconcile", () => {
  it.effect(
    "an attempt whose webhooks never came ends as GitHub holds its run, with the same attempt events",
    () =>
      Effect.gen(function* () {
        const hub = yield* AttemptEventHub
        const subscription = yield* hub.subscribe
        const simulator = yield* GitHubSimulator.GitHubSimulator
        const runId = yield* dispatchWithoutWebhooks("req_quiet")
        assert.strictEqual((yield* attemptOf("req_quiet", "apply"))?.status, "queued")

        const report = yield* reconcileRequest(requestId("req_quiet"))
        assert.deepStrictEqual(report, { checked: 1, patched: 1, unchanged: 0, failed: {} })
        const run = (yield* simulator.runs).find((each) => each.id === runId)
        const attempt = yield* attemptOf("req_quiet", "apply")
        assert.deepStrictEqual(
          [attempt?.status, attempt?.conclusion, attempt?.runAttempt, attempt?.completedAt],
          ["completed", run?.conclusion, 1, new Date(run?.updatedAt ?? 0).toISOString()],
        )
        const published = Chunk.toReadonlyArray(yield* Queue.takeAll(subscription))
        assert.deepStrictEqual(
          published.map((each) => [each.requestId, each.event._tag, each.event.runId]),
          [
            ["req_quiet", "AttemptStarted", runId],
            ["req_quiet", "AttemptCompleted", runId],
          ],
        )
        // Completed now: nothing left to check.
        assert.deepStrictEqual(yield* reconcileRequest(requestId("req_quiet")), {
          checked: 0,
          patched: 0,
          unchanged: 0,
          failed: {},
        })
      }).pipe(
        Effect.scoped,
        Effect.provide(Layer.merge(world({ mode: "run-details" }), AttemptEventHubLayer.layer)),
      ),
  )

  it.effect("a run still in progress moves the attempt to in_progress, then is unchanged", () =>
    Effect.gen(function* () {
      yield* dispatchWithoutWebhooks("req_running", 10)
      assert.deepInclude(yield* reconcileRequest(requestId("req_running")), { checked: 1, patched: 1 })
      assert.strictEqual((yield* attemptOf("req_running", "apply"))?.status, "in_progress")
      assert.deepInclude(yield* reconcileRequest(requestId("req_running")), { checked: 1, unchanged: 1 })
    }).pipe(Effect.provide(world({ mode: "run-details" }))),
  )

  it.effect("GitHub failing past the retries is counted by reason and changes nothing", () =>
    Effect.gen(function* () {
      const simulator = yield* GitHubSimulator.GitHubSimulator
      yield* dispatchWithoutWebhooks("req_outage")
      yield* simulator.injectFaults({ operation: "get", kind: "server-error", count: 3 })
      const report = yield* whileTimePasses(reconcileRequest(requestId("req_outage")))
      assert.deepStrictEqual(report, {
        checked: 1,
        patched: 0,
        unchanged: 0,
        failed: { "github:Unavailable": 1 },
      })
      assert.strictEqual((yield* attemptOf("req_outage", "apply"))?.status, "queued")
      // One passing failure is retried.
      yield* simulator.injectFaults({ operation: "get", kind: "rate-limit", count: 1 })
      assert.deepInclude(yield* whileTimePasses(reconcileRequest(requestId("req_outage"))), { patched: 1 })
    }).pipe(Effect.provide(world({ mode: "run-details" }))),
  )

  it.effect(
    "a run GitHub does not know, and a request that does not exist, are failures with their reason",
    () =>
      Effect.gen(function* () {
        const objects = yield* ObjectStore
        yield* objects.put(
          "requests/req_ghost.json",
          JSON.stringify(requestDocumentWithRun("plan", 424242)),
          WriteCondition.Always(),
        )
        assert.deepStrictEqual(yield* reconcileRequest(requestId("req_ghost")), {
          checked: 1,
          patched: 0,
          unchanged: 0,
          failed: { "run-not-found": 1 },
        })
        assert.deepStrictEqual((yield* reconcileRequest(requestId("req_absent"))).failed, {
          "request:Missing": 1,
        })
      }).pipe(Effect.provide(world({ mode: "run-details" }))),
  )

  it.effect(
    "reconcileAll checks every open attempt of every request, and skips finished and runless ones",
    () =>
      Effect.gen(function* () {
        yield* dispatchWithoutWebhooks("req_one", 0)
        yield* dispatchWithoutWebhooks("req_two", 0)
        const objects = yield* ObjectStore
        const finished = requestDocumentWithRun("apply", 777)
        const attempt = finished.runs.apply!.attempts[0]!
        yield* objects.put(
          "requests/req_done.json",
          JSON.stringify({
            ...finished,
            runs: {
              apply: {
                currentAttempt: 2,
                attempts: [
                  { ...attempt, status: "completed", conclusion: "success" },
                  {
                    attempt: 2,
                    status: "queued",
                    dispatchedAt: attempt.dispatchedAt,
                    repository: "acme/infra",
                  },
                ],
              },
            },
          }),
          WriteCondition.Always(),
        )
        yield* TestClock.adjust("2 minutes")
        const report = yield* reconcileAll()
        assert.deepStrictEqual(report, { checked: 2, patched: 2, unchanged: 0, failed: {} })
        for (const id of ["req_one", "req_two"])
          assert.strictEqual((yield* attemptOf(id, "apply"))?.status, "completed")
      }).pipe(Effect.provide(world({ mode: "run-details" }))),
  )
})
