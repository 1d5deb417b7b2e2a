/**
 * The dispatching side of a simulation: the planned workload, burst by burst, each request through
 * `dispatchRun` (or the check-then-put baseline) on an instance, with second attempts, re-runs,
 * other users' runs and foreign dispatches with our identity; and what came of each.
 */
import { type Context, Effect, Either, type FiberRef, FiberSet, Option } from "effect"
import { RequestStore } from "../../ports/RequestStore.js"
import { type DispatchRunInput, type DispatchRunResult, dispatchRun } from "../../programs/DispatchRun.js"
import type * as GitHubSimulator from "../adapters/github/GitHubSimulator.js"
import type { CallTally } from "../adapters/SimulatedGitHub.js"
import type { SimulationSettings } from "../domain/SimulationReport.js"
import { dispatchCheckThenPut } from "../programs/CheckThenPutBaseline.js"
import type { Progress } from "./Deliveries.js"
import type { Instance } from "./Instances.js"
import { instanceFor, type PlannedRequest, planWorkload, workflowFiles } from "./Workload.js"
import {
  increment,
  ourActor,
  repository,
  rerunAfterMillis,
  secondAttemptAfterMillis,
  simulationEpoch,
  sleepUntil,
} from "./World.js"

export interface DispatchSetting {
  readonly settings: SimulationSettings
  readonly instances: ReadonlyArray<Instance>
  readonly simulator: GitHubSimulator.GitHubSimulator["Type"]
  /** Where a dispatch counts its GitHub calls. */
  readonly tally: FiberRef.FiberRef<CallTally | undefined>
  /** The stores over the shared store without faults: where a re-run finds the run to re-run. */
  readonly check: Context.Context<RequestStore>
  readonly progress: Progress
}

/** Dispatches the whole workload and waits for every request's lifecycle to end. */
export const dispatchWorkload = ({
  settings,
  instances,
  simulator,
  tally,
  check,
  progress,
}: DispatchSetting) =>
  Effect.gen(function* () {
    const seed = settings.seed
    const resolveMillis: Array<number> = []
    const callsPerDispatch: Record<string, number> = {}
    const errors: Record<string, number> = {}
    let dispatches = 0
    let resolved = 0
    let unresolved = 0
    let refused = 0
    let secondAttempts = 0
    let reruns = 0
    let noiseRuns = 0
    let foreignRuns = 0

    const dispatchOnce = (request: PlannedRequest, dispatchNumber: number) =>
      Effect.gen(function* () {
        dispatches += 1
        const instance = instances[instanceFor(instances.length, seed, request.index, dispatchNumber)]!
        instance.dispatches += 1
        const calls: CallTally = { calls: 0 }
        const input: DispatchRunInput = {
          kind: request.kind,
          requestId: request.requestId,
          repository,
          workflow: workflowFiles[request.kind],
          ref: request.ref,
          inputs: { request_id: request.requestId },
          requireToken: settings.token,
        }
        const outcome = yield* (
          settings.strategy === "claim" ? dispatchRun(input) : dispatchCheckThenPut(input)
        ).pipe(
          Effect.ensuring(
            Effect.sync(() => {
              progress.dispatched += 1
              progress.show()
            }),
          ),
          Effect.locally(tally, calls),
          Effect.provide(instance.dispatcher),
          Effect.either,
          // A defect (a bug) is counted and shown, never lost with its fiber.
          Effect.catchAllDefect((defect) =>
            Effect.as(
              Effect.sync(() =>
                increment(
                  errors,
                  `defect: ${(defect instanceof Error ? defect.message : String(defect)).split("\n")[0]!.slice(0, 120)}`,
                ),
              ),
              undefined,
            ),
          ),
        )
        increment(callsPerDispatch, String(calls.calls))
        if (outcome === undefined) return
        if (Either.isRight(outcome)) {
          const result: DispatchRunResult = outcome.right
          if (Option.isSome(result.resolvedAfterMillis)) {
            resolved += 1
            resolveMillis.push(result.resolvedAfterMillis.value)
          } else unresolved += 1
          return
        }
        const error = outcome.left
        if (error._tag === "DispatchRefused") refused += 1
        else increment(errors, "reason" in error ? `${error._tag}:${error.reason}` : error._tag)
      })

    const rerunFirstRun = (request: PlannedRequest) =>
      Effect.gen(function* () {
        const read = yield* Effect.provide(
          Effect.flatMap(RequestStore, (store) => store.get(request.requestId)),
          check,
        )
        const runId = read._tag === "Found" ? read.document.runs[request.kind]?.attempts[0]?.runId : undefined
        if (runId === undefined) return
        const rerun = yield* Effect.either(simulator.rerun(runId))
        if (Either.isRight(rerun)) reruns += 1
      })

    const permits = yield* Effect.makeSemaphore(settings.concurrency)
    const lifecycles = yield* FiberSet.make<void, unknown>()
    const lifecycle = (request: PlannedRequest) =>
      Effect.gen(function* () {
        yield* Effect.ensuring(dispatchOnce(request, 1), permits.release(1))
        if (request.secondAttempt) {
          yield* Effect.sleep(secondAttemptAfterMillis)
          secondAttempts += 1
          yield* permits.withPermits(1)(dispatchOnce(request, 2))
        }
        if (request.rerun) {
          yield* Effect.sleep(rerunAfterMillis)
          yield* rerunFirstRun(request)
        }
      })
    // Someone else dispatching with our identity, without lanes: a run no request of ours asked for.
    const foreignDispatch = (workflow: string, branch: string, afterMillis: number) =>
      Effect.zipRight(
        Effect.sleep(afterMillis),
        Effect.zipRight(
          Effect.sync(() => {
            foreignRuns += 1
          }),
          simulator.addNoiseRun({
            repository,
            workflow,
            event: "workflow_dispatch",
            branch,
            actor: ourActor,
          }),
        ),
      )

    for (const burst of planWorkload(settings.requests, seed, {
      foreignDispatches: settings.foreignDispatches,
    })) {
      yield* sleepUntil(simulationEpoch + burst.at)
      if (burst.noise !== undefined) {
        noiseRuns += 1
        yield* simulator.addNoiseRun({
          repository,
          workflow: workflowFiles[burst.kind],
          event: burst.noise,
          branch: burst.ref,
          actor: "someone-else",
        })
      }
      if (burst.foreignAfterMillis !== undefined) {
        yield* FiberSet.run(
          lifecycles,
          foreignDispatch(workflowFiles[burst.kind], burst.ref, burst.foreignAfterMillis),
        )
      }
      for (const request of burst.requests) {
        yield* sleepUntil(simulationEpoch + request.at)
        yield* permits.take(1)
        yield* FiberSet.run(lifecycles, lifecycle(request))
      }
    }
    yield* FiberSet.awaitEmpty(lifecycles)

    return {
      figures: {
        total: dispatches,
        resolved,
        unresolved,
        refused,
        errors,
        secondAttempts,
        reruns,
        noiseRuns,
        foreignRuns,
      },
      resolveMillis,
      callsPerDispatch,
    }
  })
