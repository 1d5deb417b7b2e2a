import { assert, describe, it } from "@effect/vitest"
import { type Duration, Effect, Fiber, Layer, Option, Schema, TestClock } from "effect"
import * as ObjectDispatchLanes from "../../src/adapters/ObjectDispatchLanes.js"
import * as ObjectRequestStore from "../../src/adapters/ObjectRequestStore.js"
import * as ObjectRunIndexStore from "../../src/adapters/ObjectRunIndexStore.js"
import * as MemoryObjectStore from "../../src/adapters/objects/MemoryObjectStore.js"
import { RunIndexEntry } from "../../src/domain/RunIndexEntry.js"
import type { WorkflowKind } from "../../src/domain/WorkflowKind.js"
import { RepositoryName } from "../../src/domain/WorkflowRun.js"
import { RequestStore } from "../../src/ports/RequestStore.js"
import { RunIndexStore } from "../../src/ports/RunIndexStore.js"
import { type DispatchRunInput, dispatchRun } from "../../src/programs/DispatchRun.js"
import * as GitHubSimulator from "../../src/simulation/adapters/github/GitHubSimulator.js"
import { requestId, runId } from "../support/fixtures.js"

const repository = Schema.decodeSync(RepositoryName)("acme/infra")

const world = (options: GitHubSimulator.SimulatorOptions) =>
  Layer.mergeAll(
    ObjectRunIndexStore.layer,
    ObjectRequestStore.layer,
    ObjectDispatchLanes.layer,
    GitHubSimulator.layer({
      workflows: [
        { repository, file: "apply.yml", name: "Apply", runName: "Apply ${{ inputs.request_id }}" },
        { repository, file: "destroy.yml", name: "Destroy" },
      ],
      ...options,
    }),
  ).pipe(Layer.provide(MemoryObjectStore.layerMemory))

const input = (id: string, overrides: Partial<DispatchRunInput> = {}): DispatchRunInput => ({
  kind: "apply" as WorkflowKind,
  requestId: requestId(id),
  repository,
  workflow: "apply.yml",
  ref: "main",
  inputs: { request_id: id },
  ...overrides,
})

/** Runs the program while simulated time passes, as the poll schedule and the simulator need. */
const dispatchWhileTimePasses = (request: DispatchRunInput, seconds = 30) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(dispatchRun(request))
    yield* TestClock.adjust(`${seconds} seconds`)
    return yield* Fiber.join(fiber)
  })

const attemptOf = (id: string, kind: WorkflowKind, attempt: number) =>
  Effect.gen(function* () {
    const store = yield* RequestStore
    const read = yield* store.get(requestId(id))
    if (read._tag !== "Found") return assert.fail(`request ${id} is ${read._tag}`)
    return read.document.runs[kind]?.attempts.find((each) => each.attempt === attempt)
  })

describe("dispatchRun", () => {
  it.effect(
    "with run details, one GitHub call resolves the run, claims it and records it on the attempt",
    () =>
      Effect.gen(function* () {
        const simulator = yield* GitHubSimulator.GitHubSimulator
        const result = yield* dispatchRun(input("req_details"))
        assert.strictEqual(result.source, "run-details")
        assert.isTrue(Option.isSome(result.runId))
        const calls = yield* simulator.callCounts
        assert.deepStrictEqual([calls.dispatch, calls.listPages, calls.get], [1, 0, 0])
        const runId = Option.getOrThrow(result.runId)
        const index = yield* (yield* RunIndexStore).get({ kind: "apply", runId })
        assert.strictEqual(
          index._tag === "Found" ? index.entry.requestId : index._tag,
          requestId("req_details"),
        )
        const attempt = yield* attemptOf("req_details", "apply", 1)
        assert.deepStrictEqual(
          [attempt?.status, attempt?.runId, attempt?.url],
          ["queued", runId, Option.getOrUndefined(result.url)],
        )
      }).pipe(Effect.provide(world({ mode: "run-details" }))),
  )

  it.effect("a 204 server is answered by listing and matching", () =>
    Effect.gen(function* () {
      const simulator = yield* GitHubSimulator.GitHubSimulator
      const result = yield* dispatchWhileTimePasses(input("req_list"))
      assert.strictEqual(result.source, "list")
      const calls = yield* simulator.callCounts
      assert.isAtLeast(calls.listPages, 1)
      const runs = yield* simulator.runs
      assert.strictEqual(
        runs.find((run) => run.id === Option.getOrThrow(result.runId))?.displayTitle,
        "Apply req_list",
      )
    }).pipe(Effect.provide(world({ mode: "no-run-details" }))),
  )

  it.effect("another user's dispatch on the same workflow and branch, created first, is never claimed", () =>
    Effect.gen(function* () {
      const simulator = yield* GitHubSimulator.GitHubSimulator
      const theirs = yield* simulator.addNoiseRun({
        repository,
        workflow: "destroy.yml",
        event: "workflow_dispatch",
        branch: "main",
        actor: "someone-else",
      })
      // No title token to tell the runs apart: only the actor does.
      const result = yield* dispatchWhileTimePasses(
        input("req_ours", { kind: "destroy", workflow: "destroy.yml", inputs: {} }),
      )
      assert.strictEqual(result.source, "list")
      assert.notStrictEqual(Option.getOrThrow(result.runId), theirs.id)
      const ours = (yield* simulator.runs).find((run) => run.id === Option.getOrThrow(result.runId))
      assert.strictEqual(ours?.actor, "run-index-bot")
      const index = yield* (yield* RunIndexStore).get({ kind: "destroy", runId: theirs.id })
      assert.strictEqual(index._tag, "Missing")
    }).pipe(Effect.provide(world({ mode: "no-run-details" }))),
  )

  it.effect("on GHES the field is refused once, then the run is found by listing", () =>
    Effect.gen(function* () {
      const simulator = yield* GitHubSimulator.GitHubSimulator
      const result = yield* dispatchWhileTimePasses(input("req_ghes"))
      assert.strictEqual(result.source, "list")
      const calls = yield* simulator.callCounts
      assert.deepStrictEqual([calls.dispatch, calls.rejectedRunDetails], [1, 1])
    }).pipe(Effect.provide(world({ mode: "ghes" }))),
  )

  it.effect("throttled list calls are retried and the run is still resolved", () =>
    Effect.gen(function* () {
      const simulator = yield* GitHubSimulator.GitHubSimulator
      yield* simulator.injectFaults({ operation: "list", kind: "rate-limit", count: 3 })
      const result = yield* dispatchWhileTimePasses(input("req_throttled"))
      assert.strictEqual(result.source, "list")
      assert.isAtLeast((yield* simulator.callCounts).failed, 3)
    }).pipe(Effect.provide(world({ mode: "no-run-details" }))),
  )

  it.effect("a dispatch GitHub refuses marks the attempt dispatch_failed instead of leaving it queued", () =>
    Effect.gen(function* () {
      const outcome = yield* Effect.either(dispatchRun(input("req_refused", { workflow: "missing.yml" })))
      assert.isTrue(outcome._tag === "Left" && outcome.left._tag === "DispatchRefused")
      const attempt = yield* attemptOf("req_refused", "apply", 1)
      assert.deepStrictEqual([attempt?.status, attempt?.conclusion], ["completed", "dispatch_failed"])
      assert.include(attempt?.dispatchError ?? "", "NotFound")
    }).pipe(Effect.provide(world({ mode: "run-details" }))),
  )

  it.effect(
    "a run GitHub names that the index gives to another request fails the dispatch and notes why on the attempt",
    () =>
      Effect.gen(function* () {
        const index = yield* RunIndexStore
        // The simulator's first run id is one of these four; another request holds them all.
        for (let id = 5_000; id < 5_004; id++) {
          yield* index.claim(
            RunIndexEntry.make({
              kind: "apply",
              runId: runId(id),
              requestId: requestId("req_other"),
              createdAt: "2026-01-01T00:00:00.000Z",
              expiresAt: "2026-04-01T00:00:00.000Z",
            }),
          )
        }
        const outcome = yield* Effect.either(dispatchRun(input("req_conflict")))
        assert.isTrue(outcome._tag === "Left" && outcome.left._tag === "RunConflict")
        const attempt = yield* attemptOf("req_conflict", "apply", 1)
        assert.deepStrictEqual([attempt?.status, attempt?.runId], ["queued", undefined])
        assert.include(attempt?.dispatchError ?? "", "the index gives it to req_other")
      }).pipe(Effect.provide(world({ mode: "run-details", firstRunId: 5_000 }))),
  )

  it.effect("a dispatch that timed out after GitHub created the run still finds and claims it", () =>
    Effect.gen(function* () {
      const simulator = yield* GitHubSimulator.GitHubSimulator
      yield* simulator.injectFaults({ operation: "dispatch", kind: "timeout-after-create", count: 1 })
      const result = yield* dispatchWhileTimePasses(input("req_timeout"))
      assert.strictEqual(result.source, "list")
      const attempt = yield* attemptOf("req_timeout", "apply", 1)
      assert.strictEqual(attempt?.runId, Option.getOrThrow(result.runId))
    }).pipe(Effect.provide(world({ mode: "run-details" }))),
  )

  it.effect("a run that never appears leaves the attempt queued, without a run id and with a note", () =>
    Effect.gen(function* () {
      const result = yield* dispatchWhileTimePasses(input("req_slow"), 120)
      assert.strictEqual(result.source, "unresolved")
      const attempt = yield* attemptOf("req_slow", "apply", 1)
      assert.deepStrictEqual([attempt?.status, attempt?.runId], ["queued", undefined])
      assert.isString(attempt?.dispatchError)
    }).pipe(Effect.provide(world({ mode: "no-run-details", runCreationDelay: "90 seconds" }))),
  )

  it.effect("a second dispatch for the same request appends attempt 2 and keeps attempt 1", () =>
    Effect.gen(function* () {
      const first = yield* dispatchRun(input("req_twice"))
      const second = yield* dispatchRun(input("req_twice"))
      assert.deepStrictEqual([first.attempt, second.attempt], [1, 2])
      assert.notStrictEqual(Option.getOrThrow(first.runId), Option.getOrThrow(second.runId))
      assert.strictEqual((yield* attemptOf("req_twice", "apply", 1))?.runId, Option.getOrThrow(first.runId))
    }).pipe(Effect.provide(world({ mode: "run-details" }))),
  )

  /** Lets simulated time pass in steps until the fiber is done: serialized lanes need more than one jump. */
  const joinWhileTimePasses = <A, E>(
    fiber: Fiber.Fiber<A, E>,
    step: Duration.DurationInput = "5 seconds",
    limit = 400,
  ) =>
    Effect.gen(function* () {
      for (let index = 0; index < limit; index++) {
        if (Option.isSome(yield* Fiber.poll(fiber))) break
        yield* TestClock.adjust(step)
      }
      return yield* Fiber.join(fiber)
    })

  /** The run GitHub created for each request's first dispatch, from the simulator's own record. */
  const createdBy = Effect.gen(function* () {
    const simulator = yield* GitHubSimulator.GitHubSimulator
    const created = new Map<string, number>()
    for (const record of yield* simulator.dispatchedRequests) {
      const id = record.request.inputs.request_id
      if (id !== undefined && Option.isSome(record.runId)) created.set(id, record.runId.value)
    }
    return created
  })

  const concurrent = 12
  it.effect(
    `${concurrent} concurrent dispatches on one workflow and ref, without run details or token, each get the run their dispatch created`,
    () =>
      Effect.gen(function* () {
        const requests = Array.from({ length: concurrent }, (_, index) =>
          input(`req_lane_${index}`, {
            kind: "destroy",
            workflow: "destroy.yml",
            inputs: { request_id: `req_lane_${index}` },
          }),
        )
        const fiber = yield* Effect.fork(
          Effect.forEach(requests, (request) => dispatchRun(request), { concurrency: "unbounded" }),
        )
        const results = yield* joinWhileTimePasses(fiber)
        const created = yield* createdBy
        for (const result of results) {
          assert.strictEqual(Option.getOrThrow(result.runId), created.get(result.requestId))
        }
      }).pipe(Effect.provide(world({ mode: "no-run-details", runCreationDelay: "2 seconds" }))),
  )

  it.effect(
    `with the request id in run-name required, ${concurrent} concurrent dispatches each get exactly their own run`,
    () =>
      Effect.gen(function* () {
        const simulator = yield* GitHubSimulator.GitHubSimulator
        const requests = Array.from({ length: concurrent }, (_, index) =>
          input(`req_token_${index}`, { requireToken: true }),
        )
        const fiber = yield* Effect.fork(
          Effect.forEach(requests, (request) => dispatchRun(request), { concurrency: "unbounded" }),
        )
        const results = yield* joinWhileTimePasses(fiber)
        const titles = new Map((yield* simulator.runs).map((run) => [run.id, run.displayTitle]))
        for (const result of results) {
          assert.strictEqual(titles.get(Option.getOrThrow(result.runId)), `Apply ${result.requestId}`)
        }
      }).pipe(Effect.provide(world({ mode: "no-run-details" }))),
  )
})
