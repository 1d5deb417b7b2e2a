import {
  Chunk,
  Context,
  Deferred,
  Duration,
  Effect,
  Either,
  FiberId,
  Layer,
  Option,
  PubSub,
  type Queue,
  type Scope,
  Stream,
} from "effect"
import { RunId } from "../../../domain/RunId.js"
import type { GitHubRun, RepositoryName, WorkflowRun } from "../../../domain/WorkflowRun.js"
import {
  type Dispatched,
  type DispatchRequest,
  GatewayError,
  type GatewayFailureReason,
  type RunFilter,
  WorkflowRunsGateway,
} from "../../../ports/WorkflowRunsGateway.js"
import { hexDigest, pickWeighted, unitInterval } from "./SimulatorRandom.js"
import { renderRunName } from "./SimulatorRunName.js"
import { SimulatorTimeline } from "./SimulatorTimeline.js"

/**
 * How the simulated server answers a dispatch: `run-details` as github.com with
 * `return_run_details` (the run id at once); `no-run-details` as the old `204`; `ghes` as a GitHub
 * Enterprise Server that answers `400` to `return_run_details`.
 */
export type SimulatorMode = "run-details" | "no-run-details" | "ghes"

export type RunStatus = "queued" | "in_progress" | "completed"
export type RunConclusion = "success" | "failure" | "cancelled" | "timed_out" | "skipped"
export type NoiseEvent = "push" | "schedule" | "workflow_dispatch"

export interface WorkflowDefinition {
  /** The workflow's `name:`. */
  readonly name: string
  /** Its `run-name:` template, e.g. `Apply ${{ inputs.request_id }}`; without one, titles are the name. */
  readonly runName?: string
  /** Its `workflow_dispatch` inputs; when given, a dispatch with any other input is refused (422). */
  readonly declaredInputs?: ReadonlyArray<string>
}

export interface RegisteredWorkflow {
  readonly id: number
  readonly repository: RepositoryName
  readonly file: string
  /** `.github/workflows/<file>`. */
  readonly path: string
  readonly name: string
}

export type FaultOperation = "dispatch" | "list" | "get" | "any"

/**
 * `server-error`: `Unavailable` with 500, 502 or 503. `rate-limit`: `RateLimited` with 403 or 429 and
 * `resetAt`. Both fail before the call has any effect. `timeout-after-create`: the server does the
 * work (a dispatch creates its run) but the answer is lost: `Unavailable` without a status.
 */
export type FaultKind = "server-error" | "rate-limit" | "timeout-after-create"

/** Faults for the next `count` matching calls, or for each matching call with a seeded `probability`. */
export type FaultSpec = {
  readonly operation: FaultOperation
  readonly kind: FaultKind
  /** The HTTP status to report; by default a seeded pick among those of the kind. */
  readonly status?: number
} & ({ readonly count: number } | { readonly probability: number })

/** A run the project did not dispatch: another event or actor on the same workflow and branch. */
export interface NoiseRun {
  readonly repository: RepositoryName
  /** A registered workflow's file name or id. */
  readonly workflow: string
  readonly event: NoiseEvent
  readonly branch: string
  readonly actor: string
  /** Its `display_title`; by default the workflow's name (or its rendered `run-name` with no inputs). */
  readonly title?: string
  /** Its `created_at` (epoch ms, kept to whole seconds); by default now. */
  readonly createdAt?: number
}

/** A GitHub `workflow_run` webhook payload, as the simulator publishes one per state transition. */
export interface WorkflowRunEvent {
  readonly action: "requested" | "in_progress" | "completed"
  /** GitHub's run (the one shape the webhook and the gateway decode), and two fields GitHub adds. */
  readonly workflow_run: typeof GitHubRun.Encoded & {
    readonly status: RunStatus
    readonly conclusion: RunConclusion | null
    readonly run_number: number
    readonly workflow_id: number
  }
  readonly repository: { readonly full_name: string }
}

/** Gateway calls the simulator has answered, failed ones included. */
export interface CallCounts {
  readonly dispatch: number
  /** Each page of a listing is one call. */
  readonly listPages: number
  readonly get: number
  /** Calls that failed, for whatever reason (faults, unknown workflow, refused inputs). */
  readonly failed: number
  /**
   * `ghes` mode: dispatches a real client would have sent twice, first with `return_run_details`
   * (answered `400`) and then without it. The simulated 400 itself creates nothing.
   */
  readonly rejectedRunDetails: number
}

export interface DispatchRecord {
  readonly request: DispatchRequest
  /** The simulated time the call arrived (epoch ms). */
  readonly at: number
  /** The run the call created, once it exists (in `no-run-details` and `ghes` modes, after the delay). */
  readonly runId: Option.Option<RunId>
  readonly failure: Option.Option<GatewayFailureReason>
}

/**
 * A delay drawn per dispatch from the seed: uniform in [`min`, `max`], except that with probability
 * `tail.probability` it is uniform in [`max`, `tail.max`] — GitHub under load.
 */
export interface DelayRange {
  readonly min: Duration.DurationInput
  readonly max: Duration.DurationInput
  readonly tail?: { readonly probability: number; readonly max: Duration.DurationInput }
}

export interface SimulatorOptions {
  /** Default `run-details`. */
  readonly mode?: SimulatorMode
  /**
   * `no-run-details` and `ghes`: how long after the dispatch the run exists — one delay (default
   * 2 s), or a range drawn per dispatch, so runs appear in another order than their dispatches.
   */
  readonly runCreationDelay?: Duration.DurationInput | DelayRange
  /** From creation (or re-run) to `in_progress` (default 5 s). */
  readonly startDelay?: Duration.DurationInput
  /** From `in_progress` to `completed` (default 60 s). */
  readonly runDuration?: Duration.DurationInput
  /** Relative weights of the conclusions, drawn per run attempt from the seed (default all `success`). */
  readonly conclusions?: Readonly<Partial<Record<RunConclusion, number>>>
  /** Page size of a listing that does not ask for one (default 30, GitHub's). */
  readonly defaultPerPage?: number
  /** The largest page size; larger requests get this many (default 100). */
  readonly perPageMax?: number
  /** How many runs a listing with any filter can reach, as GitHub's search-backed lists (default 1000). */
  readonly filteredResultLimit?: number
  /** Every random choice derives from it (default 0). */
  readonly seed?: number
  /** The run ids start near this (default 10 000 000 000) and rise by 1 to 4 per run. */
  readonly firstRunId?: number
  /** The login of dispatched runs, which the gateway's `identity` answers (default `run-index-bot`). */
  readonly actor?: string
  /** A rate-limit fault's `resetAt` is now plus this, up to the next whole second (default 60 s). */
  readonly rateLimitReset?: Duration.DurationInput
  /** Default `https://github.com`. */
  readonly serverUrl?: string
  /** Default `https://api.github.com`. */
  readonly apiUrl?: string
  /** Keep every event for `publishedEvents` (default true); off for very long simulations. */
  readonly recordEvents?: boolean
  /**
   * Subscribers receive due events at multiples of this (timestamps stay exact). The default, zero,
   * wakes at each due instant; a second or more keeps a long `TestClock` simulation to few wake-ups.
   */
  readonly publishGranularity?: Duration.DurationInput
  /** Workflows registered from the start. */
  readonly workflows?: ReadonlyArray<
    WorkflowDefinition & { readonly repository: RepositoryName; readonly file: string }
  >
  /** Faults injected from the start. */
  readonly faults?: ReadonlyArray<FaultSpec>
}

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

interface Workflow {
  readonly id: number
  readonly repository: RepositoryName
  readonly file: string
  readonly path: string
  definition: WorkflowDefinition
  declaredInputs: ReadonlySet<string> | undefined
  createdRuns: number
  /** Its runs by (createdAt, id) ascending: listing walks it backwards. */
  readonly runs: Array<SimulatedRun>
  /** How many runs were inserted before the end of `runs` (noise created in the past). */
  reorders: number
}

interface SimulatedRun {
  readonly id: RunId
  readonly workflow: Workflow
  readonly name: string
  readonly runNumber: number
  readonly displayTitle: string
  readonly event: string
  readonly headBranch: string
  readonly headSha: string
  readonly actor: string
  readonly createdAt: number
  status: RunStatus
  conclusion: RunConclusion | null
  runAttempt: number
  updatedAt: number
  /** The immutable view handed out, until the run changes again. */
  snapshot: WorkflowRun | undefined
}

/** Where a listing is: the page to fetch and where the previous page ended. */
interface ListingCursor {
  readonly page: number
  readonly previous?: {
    /** Index in the workflow's runs of the last run the previous page held, and its rank from the newest. */
    readonly index: number
    readonly rank: number
    /** The workflow's run count and reorders then: indexes stay valid while runs are only appended. */
    readonly length: number
    readonly reorders: number
  }
}

interface RunCreation {
  readonly workflow: Workflow
  readonly event: string
  readonly headBranch: string
  readonly actor: string
  readonly displayTitle: string
  readonly createdAt?: number
}

interface MutableDispatchRecord {
  readonly request: DispatchRequest
  readonly at: number
  runId: Option.Option<RunId>
  failure: Option.Option<GatewayFailureReason>
}

type Transition =
  | { readonly _tag: "Create"; readonly creation: RunCreation; readonly record: MutableDispatchRecord }
  | { readonly _tag: "Start"; readonly run: SimulatedRun; readonly attempt: number }
  | { readonly _tag: "Complete"; readonly run: SimulatedRun; readonly attempt: number }

interface CountedFault {
  readonly spec: FaultSpec
  remaining: number
}

type CallOperation = "dispatch" | "list" | "get"

const operationNames: Record<CallOperation, string> = {
  dispatch: "dispatch",
  list: "listRuns",
  get: "getRun",
}

/** Salts keep the seeded draws for different purposes independent. */
const salt = { runId: 1, conclusion: 2, fault: 3, status: 4, creationDelay: 5, creationTail: 6 } as const

const isDelayRange = (delay: Duration.DurationInput | DelayRange): delay is DelayRange =>
  typeof delay === "object" && delay !== null && "min" in delay && "max" in delay

/** The delay of the `sequence`-th draw: fixed, or from the range as `DelayRange` says. */
const delayDrawer = (delay: Duration.DurationInput | DelayRange, seed: number) => {
  if (!isDelayRange(delay)) {
    const fixed = Duration.toMillis(delay)
    return (_sequence: number) => fixed
  }
  const min = Duration.toMillis(delay.min)
  const max = Duration.toMillis(delay.max)
  const tail =
    delay.tail === undefined ? undefined : { ...delay.tail, max: Duration.toMillis(delay.tail.max) }
  return (sequence: number) => {
    const spread = unitInterval(seed, salt.creationDelay, sequence)
    return tail !== undefined && unitInterval(seed, salt.creationTail, sequence) < tail.probability
      ? Math.round(max + (tail.max - max) * spread)
      : Math.round(min + (max - min) * spread)
  }
}

/** GitHub's timestamps and `Date` header have whole-second resolution. */
const wholeSeconds = (millis: number) => Math.floor(millis / 1000) * 1000
const isoSeconds = (millis: number) => new Date(wholeSeconds(millis)).toISOString().replace(/\.\d{3}Z$/, "Z")
const branchOf = (ref: string) => ref.replace(/^refs\/(heads|tags)\//, "")
const workflowKey = (repository: string, workflow: string) => `${repository}\n${workflow}`

const runsInOrder = (left: SimulatedRun, right: SimulatedRun) =>
  left.createdAt - right.createdAt || left.id - right.id

/** Index of the first run created at or after `from` in runs sorted by creation. */
const firstCreatedFrom = (runs: ReadonlyArray<SimulatedRun>, from: number) => {
  let low = 0
  let high = runs.length
  while (low < high) {
    const middle = (low + high) >> 1
    if (runs[middle]!.createdAt < from) low = middle + 1
    else high = middle
  }
  return low
}

const insertInOrder = (workflow: Workflow, run: SimulatedRun) => {
  const runs = workflow.runs
  const last = runs[runs.length - 1]
  if (last === undefined || runsInOrder(last, run) <= 0) {
    runs.push(run)
    return
  }
  workflow.reorders += 1
  let low = 0
  let high = runs.length
  while (low < high) {
    const middle = (low + high) >> 1
    if (runsInOrder(runs[middle]!, run) <= 0) low = middle + 1
    else high = middle
  }
  runs.splice(low, 0, run)
}

/**
 * Reads the clock and applies `change` in one synchronous step, so no other fiber observes the
 * simulator between the two and every call sees a state advanced exactly to its own instant.
 */
const atNow = <A>(change: (now: number) => A): Effect.Effect<A> =>
  Effect.clockWith((clock) => Effect.sync(() => change(clock.unsafeCurrentTimeMillis())))

const make = (options: SimulatorOptions) =>
  Effect.gen(function* () {
    const mode = options.mode ?? "run-details"
    const runCreationDelay = delayDrawer(options.runCreationDelay ?? "2 seconds", options.seed ?? 0)
    const startDelay = Duration.toMillis(options.startDelay ?? "5 seconds")
    const runDuration = Duration.toMillis(options.runDuration ?? "60 seconds")
    const rateLimitReset = Duration.toMillis(options.rateLimitReset ?? "60 seconds")
    const publishGranularity = Duration.toMillis(options.publishGranularity ?? Duration.zero)
    const perPageMax = options.perPageMax ?? 100
    const defaultPerPage = Math.min(options.defaultPerPage ?? 30, perPageMax)
    const filteredResultLimit = options.filteredResultLimit ?? 1000
    const seed = options.seed ?? 0
    const dispatchActor = options.actor ?? "run-index-bot"
    const serverUrl = (options.serverUrl ?? "https://github.com").replace(/\/+$/, "")
    const apiUrl = (options.apiUrl ?? "https://api.github.com").replace(/\/+$/, "")
    const recordEvents = options.recordEvents ?? true
    const conclusionWeights = Object.entries(options.conclusions ?? { success: 1 }) as Array<
      [RunConclusion, number]
    >
    if (!conclusionWeights.some(([, weight]) => weight > 0)) {
      return yield* Effect.dieMessage("GitHubSimulator: `conclusions` needs at least one positive weight")
    }

    const workflows = new Map<string, Workflow>()
    let registeredWorkflows = 0
    const runsById = new Map<number, SimulatedRun>()
    let createdRuns = 0
    let lastRunId = (options.firstRunId ?? 10_000_000_000) - 1
    const timeline = new SimulatorTimeline<Transition>()
    const history: Array<WorkflowRunEvent> = []
    const dispatches: Array<MutableDispatchRecord> = []
    const counts = { dispatch: 0, listPages: 0, get: 0, failed: 0, rejectedRunDetails: 0 }
    let calls = 0
    let countedFaults: Array<CountedFault> = []
    let probableFaults: Array<FaultSpec & { readonly probability: number }> = []

    const pubsub = yield* PubSub.unbounded<WorkflowRunEvent>()
    yield* Effect.addFinalizer(() => PubSub.shutdown(pubsub))

    // The one scheduler fiber sleeps until the earliest due transition; a new, earlier one wakes it.
    let wakeSignal = Deferred.unsafeMake<void>(FiberId.none)
    let wakeAt: number | undefined
    const wakeTimeOf = (due: number) =>
      publishGranularity > 0 ? Math.ceil(due / publishGranularity) * publishGranularity : due

    const schedule = (due: number, transition: Transition) => {
      timeline.schedule(due, transition)
      const wakeTime = wakeTimeOf(due)
      if (wakeAt === undefined || wakeTime < wakeAt) {
        wakeAt = wakeTime
        Deferred.unsafeDone(wakeSignal, Effect.void)
      }
    }

    const htmlUrlOf = (run: SimulatedRun) => `${serverUrl}/${run.workflow.repository}/actions/runs/${run.id}`

    const snapshot = (run: SimulatedRun): WorkflowRun =>
      (run.snapshot ??= {
        id: run.id,
        repository: run.workflow.repository,
        name: run.name,
        displayTitle: run.displayTitle,
        path: run.workflow.path,
        event: run.event,
        status: run.status,
        conclusion: run.conclusion,
        headBranch: run.headBranch,
        headSha: run.headSha,
        runAttempt: run.runAttempt,
        createdAt: run.createdAt,
        updatedAt: run.updatedAt,
        htmlUrl: htmlUrlOf(run),
        actor: run.actor,
        // The simulator has one actor per run: its re-runs are the dispatcher's, as are noise runs'.
        triggeringActor: run.actor,
      })

    const publish = (action: WorkflowRunEvent["action"], run: SimulatedRun) => {
      const event: WorkflowRunEvent = {
        action,
        workflow_run: {
          id: run.id,
          name: run.name,
          display_title: run.displayTitle,
          path: run.workflow.path,
          event: run.event,
          status: run.status,
          conclusion: run.conclusion,
          head_branch: run.headBranch,
          head_sha: run.headSha,
          run_attempt: run.runAttempt,
          run_number: run.runNumber,
          workflow_id: run.workflow.id,
          created_at: isoSeconds(run.createdAt),
          updated_at: isoSeconds(run.updatedAt),
          html_url: htmlUrlOf(run),
          actor: { login: run.actor },
        },
        repository: { full_name: run.workflow.repository },
      }
      if (recordEvents) history.push(event)
      pubsub.unsafeOffer(event)
    }

    const createRun = (creation: RunCreation, at: number): SimulatedRun => {
      createdRuns += 1
      lastRunId += 1 + Math.floor(unitInterval(seed, salt.runId, createdRuns) * 4)
      const workflow = creation.workflow
      workflow.createdRuns += 1
      const run: SimulatedRun = {
        id: RunId.make(lastRunId),
        workflow,
        name: workflow.definition.name,
        runNumber: workflow.createdRuns,
        displayTitle: creation.displayTitle,
        event: creation.event,
        headBranch: creation.headBranch,
        headSha: hexDigest(`${workflow.repository}:${creation.headBranch}`),
        actor: creation.actor,
        createdAt: wholeSeconds(creation.createdAt ?? at),
        status: "queued",
        conclusion: null,
        runAttempt: 1,
        updatedAt: wholeSeconds(at),
        snapshot: undefined,
      }
      runsById.set(run.id, run)
      insertInOrder(workflow, run)
      publish("requested", run)
      schedule(at + startDelay, { _tag: "Start", run, attempt: 1 })
      return run
    }

    const change = (run: SimulatedRun, status: RunStatus, conclusion: RunConclusion | null, at: number) => {
      run.status = status
      run.conclusion = conclusion
      run.updatedAt = wholeSeconds(at)
      run.snapshot = undefined
    }

    const apply = (transition: Transition, at: number) => {
      switch (transition._tag) {
        case "Create": {
          transition.record.runId = Option.some(createRun(transition.creation, at).id)
          return
        }
        case "Start": {
          const run = transition.run
          if (run.runAttempt !== transition.attempt) return
          change(run, "in_progress", null, at)
          publish("in_progress", run)
          schedule(at + runDuration, { _tag: "Complete", run, attempt: transition.attempt })
          return
        }
        case "Complete": {
          const run = transition.run
          if (run.runAttempt !== transition.attempt) return
          const conclusion = pickWeighted(
            conclusionWeights,
            unitInterval(seed, salt.conclusion, run.id, transition.attempt),
          )
          change(run, "completed", conclusion, at)
          publish("completed", run)
          return
        }
      }
    }

    /** Applies every transition due by `now`, in due order, each at its own due time. */
    const advance = (now: number) => {
      for (let due = timeline.takeDue(now); due !== undefined; due = timeline.takeDue(now)) {
        apply(due.value, due.due)
      }
    }

    const register = (repository: RepositoryName, file: string, definition: WorkflowDefinition) => {
      const declaredInputs =
        definition.declaredInputs === undefined ? undefined : new Set(definition.declaredInputs)
      const existing = workflows.get(workflowKey(repository, file))
      if (existing !== undefined) {
        existing.definition = definition
        existing.declaredInputs = declaredInputs
        return existing
      }
      registeredWorkflows += 1
      const workflow: Workflow = {
        id: 70_000_000 + registeredWorkflows,
        repository,
        file,
        path: `.github/workflows/${file}`,
        definition,
        declaredInputs,
        createdRuns: 0,
        runs: [],
        reorders: 0,
      }
      workflows.set(workflowKey(repository, file), workflow)
      workflows.set(workflowKey(repository, String(workflow.id)), workflow)
      return workflow
    }

    const describe = (workflow: Workflow): RegisteredWorkflow => ({
      id: workflow.id,
      repository: workflow.repository,
      file: workflow.file,
      path: workflow.path,
      name: workflow.definition.name,
    })

    const titleOf = (
      workflow: Workflow,
      inputs: Readonly<Record<string, string>>,
      context: { readonly actor: string; readonly refName: string; readonly event: string },
    ) =>
      workflow.definition.runName === undefined
        ? workflow.definition.name
        : renderRunName(workflow.definition.runName, {
            ...context,
            inputs,
            workflow: workflow.definition.name,
          })

    const takeFault = (operation: CallOperation): FaultSpec | undefined => {
      calls += 1
      const matches = (spec: FaultSpec) => spec.operation === "any" || spec.operation === operation
      const counted = countedFaults.findIndex((fault) => matches(fault.spec))
      if (counted >= 0) {
        const fault = countedFaults[counted]!
        fault.remaining -= 1
        if (fault.remaining <= 0) countedFaults.splice(counted, 1)
        return fault.spec
      }
      return probableFaults.find(
        (spec, position) =>
          matches(spec) && unitInterval(seed, salt.fault, calls, position) < spec.probability,
      )
    }

    const faultError = (fault: FaultSpec, operation: CallOperation, now: number) => {
      const draw = unitInterval(seed, salt.status, calls)
      switch (fault.kind) {
        case "server-error": {
          const status =
            fault.status ??
            pickWeighted(
              [500, 502, 503].map((code) => [code, 1] as const),
              draw,
            )
          return new GatewayError({
            reason: "Unavailable",
            operation: operationNames[operation],
            status,
            detail: `the simulated server answered ${status}`,
          })
        }
        case "rate-limit": {
          const status =
            fault.status ??
            pickWeighted(
              [403, 429].map((code) => [code, 1] as const),
              draw,
            )
          return new GatewayError({
            reason: "RateLimited",
            operation: operationNames[operation],
            status,
            resetAt: Math.ceil((now + rateLimitReset) / 1000) * 1000,
            detail: "API rate limit exceeded (simulated)",
          })
        }
        case "timeout-after-create":
          return new GatewayError({
            reason: "Unavailable",
            operation: operationNames[operation],
            detail: "no answer from the simulated server before the timeout",
          })
      }
    }

    const fail = <A>(error: GatewayError): Either.Either<A, GatewayError> => {
      counts.failed += 1
      return Either.left(error)
    }

    const notFound = (operation: string, detail: string) =>
      new GatewayError({ reason: "NotFound", operation, status: 404, detail })

    const findWorkflow = (repository: RepositoryName, workflow: string) =>
      workflows.get(workflowKey(repository, workflow))

    const acceptDispatch = (
      request: DispatchRequest,
      record: MutableDispatchRecord,
      now: number,
    ): Either.Either<Dispatched, GatewayError> => {
      const workflow = findWorkflow(request.repository, request.workflow)
      if (workflow === undefined) {
        return Either.left(
          notFound("dispatch", `no workflow ${request.workflow} in ${request.repository} (simulated)`),
        )
      }
      if (workflow.declaredInputs !== undefined) {
        const declared = workflow.declaredInputs
        const unexpected = Object.keys(request.inputs).filter((input) => !declared.has(input))
        if (unexpected.length > 0) {
          return Either.left(
            new GatewayError({
              reason: "InvalidInputs",
              operation: "dispatch",
              status: 422,
              detail: `Unexpected inputs provided: ${JSON.stringify(unexpected)}`,
            }),
          )
        }
      }
      if (mode === "ghes") counts.rejectedRunDetails += 1
      const refName = branchOf(request.ref)
      const creation: RunCreation = {
        workflow,
        event: "workflow_dispatch",
        headBranch: refName,
        actor: dispatchActor,
        displayTitle: titleOf(workflow, request.inputs, {
          actor: dispatchActor,
          refName,
          event: "workflow_dispatch",
        }),
      }
      const serverTime = wholeSeconds(now)
      if (mode === "run-details") {
        const run = createRun(creation, now)
        record.runId = Option.some(run.id)
        return Either.right({
          runId: Option.some(run.id),
          runUrl: Option.some(`${apiUrl}/repos/${workflow.repository}/actions/runs/${run.id}`),
          htmlUrl: Option.some(htmlUrlOf(run)),
          serverTime,
        })
      }
      schedule(now + runCreationDelay(counts.dispatch), { _tag: "Create", creation, record })
      return Either.right({ runId: Option.none(), runUrl: Option.none(), htmlUrl: Option.none(), serverTime })
    }

    const dispatchAt = (request: DispatchRequest, now: number): Either.Either<Dispatched, GatewayError> => {
      advance(now)
      counts.dispatch += 1
      const record: MutableDispatchRecord = { request, at: now, runId: Option.none(), failure: Option.none() }
      dispatches.push(record)
      const failWith = (error: GatewayError) => {
        record.failure = Option.some(error.reason)
        return fail<Dispatched>(error)
      }
      const fault = takeFault("dispatch")
      if (fault !== undefined && fault.kind !== "timeout-after-create") {
        return failWith(faultError(fault, "dispatch", now))
      }
      const accepted = acceptDispatch(request, record, now)
      // The server did its part, whatever it was; only the answer is lost.
      if (fault !== undefined) return failWith(faultError(fault, "dispatch", now))
      return Either.isLeft(accepted) ? failWith(accepted.left) : accepted
    }

    const listPageAt = (
      filter: RunFilter,
      cursor: ListingCursor,
      now: number,
    ): Either.Either<
      { readonly runs: ReadonlyArray<WorkflowRun>; readonly next: Option.Option<ListingCursor> },
      GatewayError
    > => {
      advance(now)
      counts.listPages += 1
      const fault = takeFault("list")
      if (fault !== undefined) return fail(faultError(fault, "list", now))
      const workflow = findWorkflow(filter.repository, filter.workflow)
      if (workflow === undefined) {
        return fail(
          notFound("listRuns", `no workflow ${filter.workflow} in ${filter.repository} (simulated)`),
        )
      }
      const perPage = Math.max(1, Math.min(Math.trunc(filter.perPage ?? defaultPerPage), perPageMax))
      const { branch, event, actor, createdFrom } = filter
      const reachable =
        branch !== undefined || event !== undefined || actor !== undefined || createdFrom !== undefined
          ? filteredResultLimit
          : Number.POSITIVE_INFINITY
      const matches = (run: SimulatedRun) =>
        (branch === undefined || run.headBranch === branch) &&
        (event === undefined || run.event === event) &&
        (actor === undefined || run.actor === actor) &&
        (createdFrom === undefined || run.createdAt >= createdFrom)
      const runs = workflow.runs
      const oldest = createdFrom === undefined ? 0 : firstCreatedFrom(runs, createdFrom)
      const skip = (cursor.page - 1) * perPage
      // GitHub pages by offset over the list as it is now: runs created since the previous page push
      // its last runs onto this one. Counting only those new runs keeps a page O(its own span).
      const previous = cursor.previous
      let index = runs.length - 1
      if (previous !== undefined && previous.reorders === workflow.reorders && previous.rank === skip) {
        let created = 0
        for (let appended = previous.length; appended < runs.length; appended++) {
          if (matches(runs[appended]!)) created += 1
        }
        index = previous.index - 1
        for (let stepped = 0; stepped < created; index++) {
          if (matches(runs[index + 1]!)) stepped += 1
        }
      } else {
        for (let skipped = 0; skipped < skip && index >= oldest; index--) {
          if (matches(runs[index]!)) skipped += 1
        }
      }
      const found: Array<WorkflowRun> = []
      let rank = skip + 1
      let last = index
      let more = false
      for (; index >= oldest; index--) {
        const run = runs[index]!
        if (!matches(run)) continue
        if (rank > reachable) break
        if (found.length === perPage) {
          more = true
          break
        }
        found.push(snapshot(run))
        last = index
        rank += 1
      }
      return Either.right({
        runs: found,
        next: more
          ? Option.some({
              page: cursor.page + 1,
              previous: { index: last, rank: rank - 1, length: runs.length, reorders: workflow.reorders },
            })
          : Option.none(),
      })
    }

    const getRunAt = (
      repository: RepositoryName,
      runId: RunId,
      now: number,
    ): Either.Either<Option.Option<WorkflowRun>, GatewayError> => {
      advance(now)
      counts.get += 1
      const fault = takeFault("get")
      if (fault !== undefined) return fail(faultError(fault, "get", now))
      const run = runsById.get(runId)
      return Either.right(
        run === undefined || run.workflow.repository !== repository
          ? Option.none()
          : Option.some(snapshot(run)),
      )
    }

    const rerunAt = (runId: RunId, now: number): Either.Either<WorkflowRun, GatewayError> => {
      advance(now)
      const run = runsById.get(runId)
      if (run === undefined) return Either.left(notFound("rerun", `no run ${runId} (simulated)`))
      if (run.status !== "completed") {
        return Either.left(
          new GatewayError({
            reason: "InvalidInputs",
            operation: "rerun",
            status: 403,
            detail: `run ${runId} is ${run.status}: only a completed run can be re-run (simulated)`,
          }),
        )
      }
      run.runAttempt += 1
      change(run, "queued", null, now)
      publish("requested", run)
      schedule(now + startDelay, { _tag: "Start", run, attempt: run.runAttempt })
      return Either.right(snapshot(run))
    }

    const addNoiseAt = (noise: NoiseRun, now: number): Option.Option<WorkflowRun> => {
      advance(now)
      const workflow = findWorkflow(noise.repository, noise.workflow)
      if (workflow === undefined) return Option.none()
      const context = { actor: noise.actor, refName: noise.branch, event: noise.event }
      const run = createRun(
        {
          workflow,
          event: noise.event,
          headBranch: noise.branch,
          actor: noise.actor,
          displayTitle:
            noise.title ??
            (noise.event === "workflow_dispatch" ? titleOf(workflow, {}, context) : workflow.definition.name),
          ...(noise.createdAt === undefined ? {} : { createdAt: noise.createdAt }),
        },
        now,
      )
      return Option.some(snapshot(run))
    }

    const addFaults = (faults: ReadonlyArray<FaultSpec>) => {
      for (const fault of faults) {
        if ("count" in fault) {
          if (fault.count > 0) countedFaults.push({ spec: fault, remaining: fault.count })
        } else {
          probableFaults.push(fault)
        }
      }
    }

    for (const { repository, file, ...definition } of options.workflows ?? [])
      register(repository, file, definition)
    addFaults(options.faults ?? [])

    const scheduler = atNow((now) => {
      advance(now)
      wakeSignal = Deferred.unsafeMake<void>(FiberId.none)
      const next = timeline.nextDue()
      wakeAt = next === undefined ? undefined : wakeTimeOf(next)
      const woken = Deferred.await(wakeSignal)
      return wakeAt === undefined
        ? woken
        : Effect.raceFirst(Effect.sleep(Duration.millis(wakeAt - now)), woken)
    }).pipe(Effect.flatten, Effect.forever)
    yield* Effect.forkScoped(scheduler)

    const listPage = Effect.fn("GitHubSimulator.listRuns")(function* (
      filter: RunFilter,
      cursor: ListingCursor,
    ) {
      const { runs, next } = yield* yield* atNow((now) => listPageAt(filter, cursor, now))
      return [Chunk.unsafeFromArray(runs), next] as const
    })

    const gateway = WorkflowRunsGateway.of({
      // The dispatch actor, answered without a call: the real gateway learns it once per process (or
      // from GITHUB_ACTOR), so counting it in `callCounts` would charge every dispatch for one call.
      dispatch: Effect.fn("GitHubSimulator.dispatch")(function* (request) {
        return yield* yield* atNow((now) => dispatchAt(request, now))
      }),
      identity: Effect.succeed(dispatchActor),
      listRuns: (filter) =>
        Stream.paginateChunkEffect<ListingCursor, WorkflowRun, GatewayError, never>({ page: 1 }, (cursor) =>
          listPage(filter, cursor),
        ),
      getRun: Effect.fn("GitHubSimulator.getRun")(function* (repository, runId) {
        return yield* yield* atNow((now) => getRunAt(repository, runId, now))
      }),
    })

    const simulator = GitHubSimulator.of({
      registerWorkflow: (repository, file, definition) =>
        Effect.sync(() => describe(register(repository, file, definition))),
      addNoiseRun: Effect.fn("GitHubSimulator.addNoiseRun")(function* (noise) {
        const run = yield* atNow((now) => addNoiseAt(noise, now))
        if (Option.isNone(run)) {
          return yield* Effect.dieMessage(
            `GitHubSimulator: register ${noise.workflow} in ${noise.repository} before adding runs to it`,
          )
        }
        return run.value
      }),
      injectFaults: (faults) => Effect.sync(() => addFaults(Array.isArray(faults) ? faults : [faults])),
      clearFaults: Effect.sync(() => {
        countedFaults = []
        probableFaults = []
      }),
      rerun: Effect.fn("GitHubSimulator.rerun")(function* (runId) {
        return yield* yield* atNow((now) => rerunAt(runId, now))
      }),
      events: Stream.fromPubSub(pubsub),
      subscribe: PubSub.subscribe(pubsub),
      publishedEvents: atNow((now) => {
        advance(now)
        return history.slice()
      }),
      runs: atNow((now) => {
        advance(now)
        return Array.from(runsById.values(), snapshot)
      }),
      callCounts: Effect.sync(() => ({ ...counts })),
      dispatchedRequests: atNow((now) => {
        advance(now)
        return dispatches.map((record) => ({ ...record }))
      }),
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
