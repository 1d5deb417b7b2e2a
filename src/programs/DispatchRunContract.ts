import { Data, Duration, type Option, Schedule } from "effect"
import type { RequestId } from "../domain/RequestId.js"
import type { RunId } from "../domain/RunId.js"
import type { WorkflowKind } from "../domain/WorkflowKind.js"
import type { RepositoryName } from "../domain/WorkflowRun.js"
import type { GatewayError } from "../ports/WorkflowRunsGateway.js"

// What `dispatchRun` takes, answers and fails with, and its default pace of looking for the run.

/**
 * When to look for a run GitHub did not name: first 3 s after the answer (a run usually appears 1–5 s
 * after it, and an earlier look is a wasted call: 3.6 GitHub calls a dispatch at 2 s, 3.1 at 3 s in
 * the simulation), then every 1.5 s, 12 looks over about 20 s.
 */
export const firstLook = Duration.seconds(3)
export const resolutionPolls = Schedule.spaced("1500 millis").pipe(Schedule.intersect(Schedule.recurs(11)))

export interface DispatchRunInput {
  readonly kind: WorkflowKind
  readonly requestId: RequestId
  readonly repository: RepositoryName
  /** The workflow file (`apply.yml`) or id. */
  readonly workflow: string
  readonly ref: string
  readonly inputs: Readonly<Record<string, string>>
  readonly actor?: string | undefined
  /** Accept only runs whose title carries the request id (workflows that render it in `run-name`). */
  readonly requireToken?: boolean
}

export interface DispatchRunOptions {
  readonly toleranceMillis?: number
  /** Tries of list-and-match after a dispatch that returned no run id. */
  readonly polls?: Schedule.Schedule<unknown>
  /** The wait before the first of them. */
  readonly firstLook?: Duration.DurationInput
  /** Told each step a person may wait on: the lane, the dispatch, each look for the run. */
  readonly onProgress?: (step: DispatchStep) => void
}

/** What a dispatch is waiting on, for a progress line. */
export type DispatchStep =
  | { readonly _tag: "WaitingForLane" }
  | { readonly _tag: "Dispatching" }
  | { readonly _tag: "LookingForRun"; readonly look: number }

/** How the run id was learned: from the dispatch answer, by listing, or not at all (yet). */
export type ResolutionSource = "run-details" | "list" | "unresolved"

export interface DispatchRunResult {
  readonly requestId: RequestId
  readonly kind: WorkflowKind
  readonly attempt: number
  readonly runId: Option.Option<RunId>
  readonly url: Option.Option<string>
  readonly source: ResolutionSource
  /** Simulated or real milliseconds from dispatch to a claimed run id (None when unresolved). */
  readonly resolvedAfterMillis: Option.Option<number>
}

/** GitHub refused the dispatch; the attempt is marked `dispatch_failed` with the reason. */
export class DispatchRefused extends Data.TaggedError("DispatchRefused")<{
  readonly requestId: RequestId
  readonly kind: WorkflowKind
  readonly attempt: number
  readonly cause: GatewayError
}> {
  override get message(): string {
    return `dispatch of ${this.kind} for ${this.requestId} (attempt ${this.attempt}) refused: ${this.cause.message}`
  }
}

/** GitHub is not configured (credentials, or an identity that cannot be learned): nothing was written. */
export class DispatchNotConfigured extends Data.TaggedError("DispatchNotConfigured")<{
  readonly requestId: RequestId
  readonly kind: WorkflowKind
  readonly cause: GatewayError
}> {
  override get message(): string {
    return `dispatch of ${this.kind} for ${this.requestId} not attempted: ${this.cause.detail}`
  }
}

/** GitHub named a run that the index already gives to another request: never taken over. */
export class RunConflict extends Data.TaggedError("RunConflict")<{
  readonly requestId: RequestId
  readonly kind: WorkflowKind
  readonly runId: RunId
  readonly detail: string
}> {
  override get message(): string {
    return `${this.kind} run ${this.runId} for ${this.requestId}: ${this.detail}`
  }
}
