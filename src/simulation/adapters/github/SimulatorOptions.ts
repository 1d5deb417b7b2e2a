/**
 * The GitHub simulator's vocabulary: how it is set up (`SimulatorOptions`), what a test can inject
 * (faults, noise runs, workflows) and what it records (events, dispatch calls, call counts).
 */
import type { Duration, Option } from "effect"
import type { RunId } from "../../../domain/RunId.js"
import type { GitHubRun, RepositoryName } from "../../../domain/WorkflowRun.js"
import type { DispatchRequest, GatewayFailureReason } from "../../../ports/WorkflowRunsGateway.js"

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
