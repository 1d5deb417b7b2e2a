/**
 * An in-memory GitHub: the `WorkflowRunsGateway` and the `GitHubSimulator` controls over one state.
 * Its parts: `RunLifecycle` (workflows, runs, transitions, events), `DispatchAnswers`, `Listing`
 * (list and get) and `Faults`; the vocabulary is in `SimulatorOptions`.
 */
import { Chunk, Context, Duration, Effect, Layer, PubSub, type Queue, type Scope, Stream } from "effect"
import type { RunId } from "../../../domain/RunId.js"
import type { RepositoryName, WorkflowRun } from "../../../domain/WorkflowRun.js"
import { type GatewayError, type RunFilter, WorkflowRunsGateway } from "../../../ports/WorkflowRunsGateway.js"
import { makeDispatchAnswers } from "./DispatchAnswers.js"
import { emptyCallCounts, makeFaults } from "./Faults.js"
import { type ListingCursor, makeListing } from "./Listing.js"
import { atNow, makeRunLifecycle } from "./RunLifecycle.js"
import type {
  CallCounts,
  DispatchRecord,
  FaultSpec,
  NoiseRun,
  RegisteredWorkflow,
  RunConclusion,
  SimulatorOptions,
  WorkflowDefinition,
  WorkflowRunEvent,
} from "./SimulatorOptions.js"

export type {
  CallCounts,
  DelayRange,
  DispatchRecord,
  FaultKind,
  FaultOperation,
  FaultSpec,
  NoiseEvent,
  NoiseRun,
  RegisteredWorkflow,
  RunConclusion,
  RunStatus,
  SimulatorMode,
  SimulatorOptions,
  WorkflowDefinition,
  WorkflowRunEvent,
} from "./SimulatorOptions.js"

/** Drives the simulator: workflows, noise, faults, re-runs, and what happened so far. */
export class GitHubSimulator extends Context.Tag("run-index/GitHubSimulator")<
  GitHubSimulator,
  {
    /** Declares a workflow file (registering it again replaces its definition, keeping its runs). */
    readonly registerWorkflow: (
      repository: RepositoryName,
      file: string,
      definition: WorkflowDefinition,
    ) => Effect.Effect<RegisteredWorkflow>
    /** Creates a run at once from another event or actor; it progresses like any run. Dies on an unknown workflow. */
    readonly addNoiseRun: (noise: NoiseRun) => Effect.Effect<WorkflowRun>
    /** Adds faults; counted ones are used up first, in the order given. */
    readonly injectFaults: (faults: FaultSpec | ReadonlyArray<FaultSpec>) => Effect.Effect<void>
    readonly clearFaults: Effect.Effect<void>
    /**
     * Re-runs a completed run: `run_attempt` + 1, back to `queued` → `in_progress` → `completed`.
     * `NotFound` for an unknown run, `InvalidInputs` (403) for one not completed yet.
     */
    readonly rerun: (runId: RunId) => Effect.Effect<WorkflowRun, GatewayError>
    /** Every transition from the moment the stream starts; see `subscribe` to not miss any. */
    readonly events: Stream.Stream<WorkflowRunEvent>
    /** A subscription that holds every transition from the moment this effect completes. */
    readonly subscribe: Effect.Effect<Queue.Dequeue<WorkflowRunEvent>, never, Scope.Scope>
    /** Every event published so far, in order (empty when `recordEvents` is off). */
    readonly publishedEvents: Effect.Effect<ReadonlyArray<WorkflowRunEvent>>
    /** Every run that exists now, by id. */
    readonly runs: Effect.Effect<ReadonlyArray<WorkflowRun>>
    readonly callCounts: Effect.Effect<CallCounts>
    /** Every dispatch call, in arrival order. */
    readonly dispatchedRequests: Effect.Effect<ReadonlyArray<DispatchRecord>>
  }
>() {}

const make = (options: SimulatorOptions) =>
  Effect.gen(function* () {
    const seed = options.seed ?? 0
    const conclusionWeights = Object.entries(options.conclusions ?? { success: 1 }) as Array<
      [RunConclusion, number]
    >
    if (!conclusionWeights.some(([, weight]) => weight > 0)) {
      return yield* Effect.dieMessage("GitHubSimulator: `conclusions` needs at least one positive weight")
    }
    const perPageMax = options.perPageMax ?? 100
    const dispatchActor = options.actor ?? "run-index-bot"

    const pubsub = yield* PubSub.unbounded<WorkflowRunEvent>()
    yield* Effect.addFinalizer(() => PubSub.shutdown(pubsub))
    const lifecycle = makeRunLifecycle(
      {
        seed,
        startDelay: Duration.toMillis(options.startDelay ?? "5 seconds"),
        runDuration: Duration.toMillis(options.runDuration ?? "60 seconds"),
        publishGranularity: Duration.toMillis(options.publishGranularity ?? Duration.zero),
        serverUrl: (options.serverUrl ?? "https://github.com").replace(/\/+$/, ""),
        recordEvents: options.recordEvents ?? true,
        firstRunId: options.firstRunId ?? 10_000_000_000,
        conclusionWeights,
      },
      pubsub,
    )
    const counts = emptyCallCounts()
    const faults = makeFaults({
      seed,
      rateLimitReset: Duration.toMillis(options.rateLimitReset ?? "60 seconds"),
    })
    const dispatches = makeDispatchAnswers(
      {
        mode: options.mode ?? "run-details",
        seed,
        runCreationDelay: options.runCreationDelay ?? "2 seconds",
        actor: dispatchActor,
        apiUrl: (options.apiUrl ?? "https://api.github.com").replace(/\/+$/, ""),
      },
      lifecycle,
      faults,
      counts,
    )
    const listing = makeListing(
      {
        defaultPerPage: Math.min(options.defaultPerPage ?? 30, perPageMax),
        perPageMax,
        filteredResultLimit: options.filteredResultLimit ?? 1000,
      },
      lifecycle,
      faults,
      counts,
    )

    for (const { repository, file, ...definition } of options.workflows ?? [])
      lifecycle.register(repository, file, definition)
    faults.add(options.faults ?? [])
    yield* Effect.forkScoped(lifecycle.scheduler)

    const listPage = Effect.fn("GitHubSimulator.listRuns")(function* (
      filter: RunFilter,
      cursor: ListingCursor,
    ) {
      const { runs, next } = yield* yield* atNow((now) => listing.listPageAt(filter, cursor, now))
      return [Chunk.unsafeFromArray(runs), next] as const
    })

    const gateway = WorkflowRunsGateway.of({
      dispatch: Effect.fn("GitHubSimulator.dispatch")(function* (request) {
        return yield* yield* atNow((now) => dispatches.dispatchAt(request, now))
      }),
      // The dispatch actor, answered without a call: the real gateway learns it once per process (or
      // from GITHUB_ACTOR), so counting it in `callCounts` would charge every dispatch for one call.
      identity: Effect.succeed(dispatchActor),
      listRuns: (filter) =>
        Stream.paginateChunkEffect<ListingCursor, WorkflowRun, GatewayError, never>({ page: 1 }, (cursor) =>
          listPage(filter, cursor),
        ),
      getRun: Effect.fn("GitHubSimulator.getRun")(function* (repository, runId) {
        return yield* yield* atNow((now) => listing.getRunAt(repository, runId, now))
      }),
    })

    const simulator = GitHubSimulator.of({
      registerWorkflow: (repository, file, definition) =>
        Effect.sync(() => lifecycle.describe(lifecycle.register(repository, file, definition))),
      addNoiseRun: Effect.fn("GitHubSimulator.addNoiseRun")(function* (noise) {
        const run = yield* atNow((now) => lifecycle.addNoiseAt(noise, now))
        if (run === undefined) {
          return yield* Effect.dieMessage(
            `GitHubSimulator: register ${noise.workflow} in ${noise.repository} before adding runs to it`,
          )
        }
        return run
      }),
      injectFaults: (injected) =>
        Effect.sync(() => faults.add(Array.isArray(injected) ? injected : [injected])),
      clearFaults: Effect.sync(faults.clear),
      rerun: Effect.fn("GitHubSimulator.rerun")(function* (runId) {
        return yield* yield* atNow((now) => lifecycle.rerunAt(runId, now))
      }),
      events: Stream.fromPubSub(pubsub),
      subscribe: PubSub.subscribe(pubsub),
      publishedEvents: atNow((now) => {
        lifecycle.advance(now)
        return lifecycle.history()
      }),
      runs: atNow((now) => {
        lifecycle.advance(now)
        return lifecycle.allRuns()
      }),
      callCounts: Effect.sync(() => ({ ...counts })),
      dispatchedRequests: atNow(dispatches.recordsAt),
    })

    return { gateway, simulator }
  })

/**
 * An in-memory GitHub for tests, benchmarks and simulations: the `WorkflowRunsGateway` and its
 * `GitHubSimulator` controls from one state, fresh per build. Everything happens on Effect's `Clock`
 * (so `TestClock.adjust` moves it) and every random choice comes from `seed`, so a run replays
 * exactly. Runs are indexed per workflow; a list page costs at most the runs of that workflow, a
 * transition O(log pending). One scheduler fiber in the layer's scope publishes transitions as
 * they fall due; every call also brings the state up to its own instant first.
 */
export const layer = (options: SimulatorOptions = {}): Layer.Layer<WorkflowRunsGateway | GitHubSimulator> =>
  Layer.scopedContext(
    Effect.map(make(options), ({ gateway, simulator }) =>
      Context.make(WorkflowRunsGateway, gateway).pipe(Context.add(GitHubSimulator, simulator)),
    ),
  )
