/**
 * The "dispatch" section: per server mode, GitHub calls and store operations per dispatch, and the
 * simulated time from dispatch to a claimed run id, through the real programs against the GitHub
 * simulator on the memory store; then the price of dispatch lanes: time to run id for 1, 6 and 20
 * back-to-back dispatches on one lane, lanes on and off, and how many requests got their own run.
 * Simulated time comes from TestClock, so the figures do not depend on this machine's speed. Lanes
 * serialize dispatches, so time passes in small steps until every dispatch is done.
 */
import { Duration, Effect, Either, Fiber, Layer, Option, Schema, TestClock, TestContext } from "effect"
import * as ObjectDispatchLanes from "../src/adapters/ObjectDispatchLanes.js"
import * as ObjectRequestStore from "../src/adapters/ObjectRequestStore.js"
import * as ObjectRunIndexStore from "../src/adapters/ObjectRunIndexStore.js"
import * as MemoryObjectStore from "../src/adapters/objects/MemoryObjectStore.js"
import { RequestId } from "../src/domain/RequestId.js"
import { RepositoryName } from "../src/domain/WorkflowRun.js"
import { dispatchRun } from "../src/programs/DispatchRun.js"
import * as GitHubSimulator from "../src/simulation/adapters/github/GitHubSimulator.js"
import * as UnheldDispatchLanes from "../src/simulation/adapters/UnheldDispatchLanes.js"
import {
  countingObjectStore,
  emptyCalls,
  type ObjectStoreCalls,
} from "../test/support/countingObjectStore.js"
import { formatNumber, renderTable } from "./output.js"

const modes = ["run-details", "no-run-details", "ghes"] as const
type Mode = (typeof modes)[number]

export interface DispatchModeFigures {
  readonly dispatches: number
  readonly resolved: number
  readonly githubCallsPerDispatch: number
  readonly storeOperationsPerDispatch: number
  readonly resolveMillisMedian: number | null
  readonly resolveMillisP95: number | null
}

/** Back-to-back dispatches on one lane, lanes on or off (`no-run-details`, runs 0.3–6 s after the dispatch). */
export interface LaneFigures {
  readonly lanes: "on" | "off"
  /** Concurrent dispatches on the one lane per round. */
  readonly backToBack: number
  readonly rounds: number
  readonly dispatches: number
  readonly resolved: number
  /** Resolved dispatches whose run is the one GitHub created for their own request. */
  readonly ownRuns: number
  readonly resolveMillisMedian: number | null
  readonly resolveMillisP95: number | null
}

export type DispatchFigures = Record<Mode, DispatchModeFigures> & {
  readonly requestsPerMode: number
  readonly lanes: ReadonlyArray<LaneFigures>
}

const repository = Schema.decodeSync(RepositoryName)("acme/infra")

/** Every call into the object store — the unit the stores are billed by — counted at its boundary. */
const countedMemoryStore = (calls: ObjectStoreCalls) =>
  countingObjectStore(calls).pipe(Layer.provide(MemoryObjectStore.layerMemory))

const operationsOf = (calls: ObjectStoreCalls) =>
  calls.gets + calls.puts + calls.deletes + calls.deleteManys + calls.listPages

const percentile = (sorted: ReadonlyArray<number>, fraction: number) =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!

/** Steps simulated time by `step` until the fiber is done: lanes serialize, so one big jump is not enough. */
const stepUntilDone = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, step: Duration.DurationInput = "100 millis") =>
  Effect.gen(function* () {
    const limit = Duration.toMillis("6 hours") / Duration.toMillis(step)
    for (let steps = 0; Option.isNone(yield* Fiber.poll(fiber)); steps += 1) {
      if (steps >= limit)
        return yield* Effect.dieMessage("dispatch bench: dispatches still running after 6 simulated hours")
      yield* TestClock.adjust(step)
    }
    return yield* Fiber.join(fiber)
  })

const runMode = (mode: Mode, requests: number) => {
  const storeCalls = emptyCalls()
  const world = Layer.mergeAll(
    ObjectRunIndexStore.layer,
    ObjectRequestStore.layer,
    ObjectDispatchLanes.layer,
  ).pipe(
    Layer.provide(countedMemoryStore(storeCalls)),
    Layer.merge(
      GitHubSimulator.layer({
        mode,
        seed: 7,
        workflows: [
          { repository, file: "apply.yml", name: "Apply", runName: "Apply ${{ inputs.request_id }}" },
        ],
      }),
    ),
  )
  return Effect.gen(function* () {
    const simulator = yield* GitHubSimulator.GitHubSimulator
    // Pairs dispatched back to back on one workflow and ref, all resolving at once.
    const fiber = yield* Effect.fork(
      Effect.forEach(
        Array.from({ length: requests }, (_, index) => Schema.decodeSync(RequestId)(`req_bench_${index}`)),
        (requestId) =>
          dispatchRun({
            kind: "apply",
            requestId,
            repository,
            workflow: "apply.yml",
            ref: "main",
            inputs: { request_id: requestId },
          }),
        { concurrency: "unbounded" },
      ),
    )
    const results = yield* stepUntilDone(fiber)
    const calls = yield* simulator.callCounts
    const times = results
      .flatMap((result) => Option.toArray(result.resolvedAfterMillis))
      .sort((left, right) => left - right)
    return {
      dispatches: requests,
      resolved: times.length,
      githubCallsPerDispatch:
        (calls.dispatch + calls.listPages + calls.get + calls.rejectedRunDetails) / requests,
      storeOperationsPerDispatch: operationsOf(storeCalls) / requests,
      resolveMillisMedian: percentile(times, 0.5),
      resolveMillisP95: percentile(times, 0.95),
    } satisfies DispatchModeFigures
  }).pipe(Effect.provide(world), Effect.provide(TestContext.TestContext))
}

const laneSizes = [1, 6, 20] as const
/** At least this many dispatches per (size, lanes): rounds of `size` back-to-back dispatches, one seed each. */
const laneSamples = 60

/**
 * One round: `size` dispatches of one workflow on one ref at the same instant, in `no-run-details`
 * (GitHub answers 204), runs appearing 0.3–6 s after their dispatch, so in another order. The
 * workflow has no `run-name`, so titles cannot tell the runs apart: only the lane can.
 */
const laneRound = (lanesOn: boolean, size: number, seed: number) => {
  const world = Layer.mergeAll(
    ObjectRunIndexStore.layer,
    ObjectRequestStore.layer,
    lanesOn ? ObjectDispatchLanes.layer : UnheldDispatchLanes.layer,
  ).pipe(
    Layer.provide(MemoryObjectStore.layerMemory),
    Layer.merge(
      GitHubSimulator.layer({
        mode: "no-run-details",
        seed,
        runCreationDelay: { min: "300 millis", max: "6 seconds" },
        workflows: [{ repository, file: "apply.yml", name: "Apply" }],
      }),
    ),
  )
  return Effect.gen(function* () {
    const simulator = yield* GitHubSimulator.GitHubSimulator
    const fiber = yield* Effect.fork(
      Effect.forEach(
        Array.from({ length: size }, (_, index) => Schema.decodeSync(RequestId)(`req_lane_${seed}_${index}`)),
        (requestId) =>
          Effect.either(
            dispatchRun({
              kind: "apply",
              requestId,
              repository,
              workflow: "apply.yml",
              ref: "main",
              inputs: { request_id: requestId },
            }),
          ),
        { concurrency: "unbounded" },
      ),
    )
    const outcomes = yield* stepUntilDone(fiber)
    // GitHub's record of which dispatch created which run: the judge.
    const created = new Map(
      (yield* simulator.dispatchedRequests).flatMap((record) =>
        Option.match(record.runId, {
          onNone: () => [],
          onSome: (runId) => [[record.request.inputs.request_id, runId] as const],
        }),
      ),
    )
    const results = outcomes.flatMap((outcome) => (Either.isRight(outcome) ? [outcome.right] : []))
    return {
      times: results.flatMap((result) => Option.toArray(result.resolvedAfterMillis)),
      own: results.filter(
        (result) => Option.isSome(result.runId) && created.get(result.requestId) === result.runId.value,
      ).length,
    }
  }).pipe(Effect.provide(world), Effect.provide(TestContext.TestContext))
}

const runLanes = (lanesOn: boolean, size: number) =>
  Effect.gen(function* () {
    const rounds = Math.ceil(laneSamples / size)
    const times: Array<number> = []
    let own = 0
    for (let round = 0; round < rounds; round += 1) {
      const outcome = yield* laneRound(lanesOn, size, 1_000 * size + round)
      times.push(...outcome.times)
      own += outcome.own
    }
    times.sort((left, right) => left - right)
    return {
      lanes: lanesOn ? "on" : "off",
      backToBack: size,
      rounds,
      dispatches: rounds * size,
      resolved: times.length,
      ownRuns: own,
      resolveMillisMedian: percentile(times, 0.5),
      resolveMillisP95: percentile(times, 0.95),
    } satisfies LaneFigures
  })

export const dispatch = async (options: {
  readonly requests: number
  readonly progress: (line: string) => void
}) => {
  const figures: Partial<Record<Mode, DispatchModeFigures>> = {}
  for (const mode of modes) {
    options.progress(`${mode}: ${options.requests} dispatches`)
    figures[mode] = await Effect.runPromise(runMode(mode, options.requests))
  }
  const lanes: Array<LaneFigures> = []
  for (const size of laneSizes) {
    for (const lanesOn of [true, false]) {
      options.progress(`lanes ${lanesOn ? "on" : "off"}: ${size} back to back`)
      lanes.push(await Effect.runPromise(runLanes(lanesOn, size)))
    }
  }
  return { requestsPerMode: options.requests, ...figures, lanes } as DispatchFigures
}

const seconds = (millis: number | null) => (millis === null ? "-" : `${formatNumber(millis / 1000, 1)} s`)

export const renderDispatch = (figures: DispatchFigures): string =>
  [
    `dispatch: ${figures.requestsPerMode} concurrent dispatches per mode (simulated GitHub, memory store, simulated time)`,
    renderTable(
      ["mode", "resolved", "GitHub calls/dispatch", "store ops/dispatch", "resolve p50 ms", "resolve p95 ms"],
      modes.map((mode) => {
        const each = figures[mode]
        return [
          mode,
          `${each.resolved}/${each.dispatches}`,
          formatNumber(each.githubCallsPerDispatch, 2),
          formatNumber(each.storeOperationsPerDispatch, 2),
          each.resolveMillisMedian === null ? "-" : formatNumber(each.resolveMillisMedian),
          each.resolveMillisP95 === null ? "-" : formatNumber(each.resolveMillisP95),
        ]
      }),
    ),
    "",
    "the price of lanes: back-to-back dispatches on one lane, no-run-details, runs 0.3–6 s after their dispatch (simulated time to run id; own runs judged against GitHub's record)",
    renderTable(
      [
        "back to back",
        "lanes on p50",
        "lanes on p95",
        "lanes off p50",
        "lanes off p95",
        "own runs, lanes on",
        "own runs, lanes off",
      ],
      laneSizes.map((size) => {
        const on = figures.lanes.find((each) => each.backToBack === size && each.lanes === "on")!
        const off = figures.lanes.find((each) => each.backToBack === size && each.lanes === "off")!
        return [
          `${size} (${on.rounds} rounds)`,
          seconds(on.resolveMillisMedian),
          seconds(on.resolveMillisP95),
          seconds(off.resolveMillisMedian),
          seconds(off.resolveMillisP95),
          `${on.ownRuns}/${on.resolved} of ${on.dispatches}`,
          `${off.ownRuns}/${off.resolved} of ${off.dispatches}`,
        ]
      }),
    ),
  ].join("\n")
