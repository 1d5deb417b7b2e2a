/**
 * The "dispatch" section: per server mode, GitHub calls and store operations per dispatch, and the
 * simulated time from dispatch to a claimed run id, through the real programs against the GitHub
 * simulator on the memory store. Simulated time comes from TestClock, so the figures do not depend
 * on this machine's speed.
 */
import { Effect, Fiber, Layer, Option, Schema, TestClock, TestContext } from "effect"
import * as GitHubSimulator from "../src/adapters/github/GitHubSimulator.js"
import * as ObjectDispatchLanes from "../src/adapters/ObjectDispatchLanes.js"
import * as ObjectRequestStore from "../src/adapters/ObjectRequestStore.js"
import * as ObjectRunIndexStore from "../src/adapters/ObjectRunIndexStore.js"
import * as MemoryObjectStore from "../src/adapters/objects/MemoryObjectStore.js"
import { RequestId } from "../src/domain/RequestId.js"
import { RepositoryName } from "../src/domain/WorkflowRun.js"
import { dispatchRun } from "../src/programs/DispatchRun.js"
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

export type DispatchFigures = Record<Mode, DispatchModeFigures> & { readonly requestsPerMode: number }

const repository = Schema.decodeSync(RepositoryName)("acme/infra")

/** Every call into the object store — the unit the stores are billed by — counted at its boundary. */
const countedMemoryStore = (calls: ObjectStoreCalls) =>
  countingObjectStore(calls).pipe(Layer.provide(MemoryObjectStore.layerMemory))

const operationsOf = (calls: ObjectStoreCalls) =>
  calls.gets + calls.puts + calls.deletes + calls.deleteManys + calls.listPages

const percentile = (sorted: ReadonlyArray<number>, fraction: number) =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!

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
    yield* TestClock.adjust("2 minutes")
    const results = yield* Fiber.join(fiber)
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

export const dispatch = async (options: {
  readonly requests: number
  readonly progress: (line: string) => void
}) => {
  const figures: Partial<Record<Mode, DispatchModeFigures>> = {}
  for (const mode of modes) {
    options.progress(`${mode}: ${options.requests} dispatches`)
    figures[mode] = await Effect.runPromise(runMode(mode, options.requests))
  }
  return { requestsPerMode: options.requests, ...figures } as DispatchFigures
}

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
  ].join("\n")
