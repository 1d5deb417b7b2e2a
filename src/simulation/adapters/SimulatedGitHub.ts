import { Effect, FiberRef } from "effect"
import { type DispatchRequest, WorkflowRunsGateway } from "../../ports/WorkflowRunsGateway.js"
import { unitInterval } from "./github/SimulatorRandom.js"
import { afterEachPage } from "./SimulatedObjectStore.js"

/** GitHub calls made on behalf of one dispatch, counted by the gateway view. */
export interface CallTally {
  calls: number
}

export interface GitHubViewOptions {
  readonly seed: number
  readonly salt: number
  /** Simulated time each call spends on the network, drawn uniformly. */
  readonly latencyMillis: { readonly min: number; readonly max: number }
  /** Where the calls of the current fiber are counted (a dispatch sets its own tally). */
  readonly tally: FiberRef.FiberRef<CallTally | undefined>
  /** HTTP requests a dispatch takes: 2 against GHES (the refused `return_run_details`, then without). */
  readonly requestsPerDispatch: number
  /** Told of each dispatch call as it reaches GitHub, after its time on the network. */
  readonly onDispatch?: (request: DispatchRequest) => void
}

/** The simulated GitHub as a client sees it over the network: every call takes time, and is counted. */
export const view = (
  gateway: WorkflowRunsGateway["Type"],
  options: GitHubViewOptions,
): WorkflowRunsGateway["Type"] => {
  let calls = 0
  const { min, max } = options.latencyMillis
  const travel = (requests: number) =>
    Effect.flatMap(FiberRef.get(options.tally), (tally) =>
      Effect.suspend(() => {
        calls += 1
        if (tally !== undefined) tally.calls += requests
        return Effect.sleep(Math.round(min + (max - min) * unitInterval(options.seed, options.salt, calls)))
      }),
    )
  return WorkflowRunsGateway.of({
    dispatch: (request) =>
      Effect.zipRight(
        travel(options.requestsPerDispatch),
        Effect.suspend(() => {
          options.onDispatch?.(request)
          return gateway.dispatch(request)
        }),
      ),
    // Not counted and no latency: the real gateway asks GitHub once per process, noise in a simulation.
    identity: gateway.identity,
    listRuns: (filter) => afterEachPage(gateway.listRuns(filter), travel(1)),
    getRun: (repository, runId) => Effect.zipRight(travel(1), gateway.getRun(repository, runId)),
  })
}
