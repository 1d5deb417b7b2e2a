import { Option } from "effect"
import {
  type Attempt,
  type AttemptStatus,
  attemptsOf,
  type RequestDocument,
  updateAttempt,
} from "./RequestDocument.js"
import type { RunId } from "./RunId.js"
import type { WorkflowKind } from "./WorkflowKind.js"

/** What a `workflow_run` event says about its run, as the patch rules need it. */
export interface RunEvent {
  readonly runId: RunId
  readonly runAttempt: number
  /** GitHub's run status: requested, waiting, pending, queued, in_progress, completed. */
  readonly status: string
  readonly conclusion: string | null
  readonly headSha: string
  readonly htmlUrl: string
  readonly repository: string
  /** Epoch ms. */
  readonly createdAt: number
  readonly updatedAt: number
}

/** A state change worth telling library users about, once per run id and run attempt. */
export type AttemptEvent =
  | {
      readonly _tag: "AttemptStarted"
      readonly kind: WorkflowKind
      readonly attempt: number
      readonly runId: RunId
      readonly runAttempt: number
    }
  | {
      readonly _tag: "AttemptCompleted"
      readonly kind: WorkflowKind
      readonly attempt: number
      readonly runId: RunId
      readonly runAttempt: number
      readonly conclusion: string | null
    }

export type PatchOutcome =
  /** The attempt changed; `document` is the one to write. */
  | {
      readonly _tag: "Patched"
      readonly document: RequestDocument
      readonly attempt: number
      readonly attached: boolean
      readonly events: ReadonlyArray<AttemptEvent>
    }
  /** The attempt already reflects this event (duplicate, or older within the run attempt). */
  | { readonly _tag: "Unchanged"; readonly attempt: number }
  /** The event belongs to an earlier run attempt than the one recorded. */
  | { readonly _tag: "Stale"; readonly attempt: number }
  /** The attempt was dispatched to another repository: never patched from this one. */
  | { readonly _tag: "OtherRepository"; readonly attempt: number }
  /** No attempt holds this run, and none may take it. */
  | { readonly _tag: "NoAttempt" }

const rank = (status: AttemptStatus | string): number =>
  status === "completed" ? 2 : status === "in_progress" ? 1 : 0

const attemptStatus = (status: string): AttemptStatus =>
  status === "completed" ? "completed" : status === "in_progress" ? "in_progress" : "queued"

const isoOf = (millis: number) => new Date(millis).toISOString()

/**
 * The attempt this event may update: the one holding the run id, or — when none does — the newest
 * attempt of the kind with no run id, the same head commit (when it recorded one) and dispatched no
 * later than the run's creation plus the tolerance.
 */
const targetOf = (
  attempts: ReadonlyArray<Attempt>,
  event: RunEvent,
  toleranceMillis: number,
  only: number | undefined,
): Option.Option<{ readonly attempt: Attempt; readonly attach: boolean }> => {
  const holder = attempts.find((attempt) => attempt.runId === event.runId)
  if (holder !== undefined) return Option.some({ attempt: holder, attach: false })
  const free = attempts
    .filter(
      (attempt) =>
        (only === undefined || attempt.attempt === only) &&
        attempt.runId === undefined &&
        attempt.conclusion !== "dispatch_failed" &&
        (attempt.headSha === undefined || attempt.headSha === event.headSha) &&
        Date.parse(attempt.dispatchedAt) <= event.createdAt + toleranceMillis,
    )
    .sort((left, right) => right.attempt - left.attempt)[0]
  return free === undefined ? Option.none() : Option.some({ attempt: free, attach: true })
}

/**
 * Applies a `workflow_run` event to a request document, purely. Only the attempt owning the run
 * changes; within one run attempt status only moves forward and `completed` is final; a higher
 * `run_attempt` starts a new lifecycle; a lower one is stale. An event that changes nothing
 * yields no document to write. `attempt`, when known (a lane named the dispatch), is the only attempt
 * that may take a run it does not hold yet.
 */
export const applyRunEvent = (
  document: RequestDocument,
  kind: WorkflowKind,
  event: RunEvent,
  toleranceMillis: number,
  attempt?: number,
): PatchOutcome => {
  const target = targetOf(attemptsOf(document, kind), event, toleranceMillis, attempt)
  if (Option.isNone(target)) return { _tag: "NoAttempt" }
  const { attempt: current, attach } = target.value
  if (current.repository !== undefined && current.repository !== event.repository) {
    return { _tag: "OtherRepository", attempt: current.attempt }
  }
  const recordedRunAttempt = current.runAttempt ?? 1
  if (!attach && event.runAttempt < recordedRunAttempt) return { _tag: "Stale", attempt: current.attempt }
  const restarting = !attach && event.runAttempt > recordedRunAttempt
  const base: Attempt = restarting
    ? (({ conclusion: _conclusion, completedAt: _completedAt, ...rest }) => ({
        ...rest,
        status: "queued" as const,
      }))(current)
    : current
  const advances =
    rank(event.status) > rank(base.status) || (restarting && rank(event.status) >= rank(base.status))
  const next: Attempt = {
    ...base,
    ...(attach ? { runId: event.runId } : {}),
    ...(base.url === undefined ? { url: event.htmlUrl } : {}),
    ...(base.headSha === undefined ? { headSha: event.headSha } : {}),
    ...(attach || restarting || base.runAttempt === undefined ? { runAttempt: event.runAttempt } : {}),
    ...(advances ? { status: attemptStatus(event.status) } : {}),
    ...(advances && event.status === "completed"
      ? { conclusion: event.conclusion, completedAt: isoOf(event.updatedAt) }
      : {}),
  }
  const changed = JSON.stringify(next) !== JSON.stringify(current)
  if (!changed) return { _tag: "Unchanged", attempt: current.attempt }
  const patched = updateAttempt(document, kind, current.attempt, () => next)
  if (Option.isNone(patched)) return { _tag: "Unchanged", attempt: current.attempt }
  const events: Array<AttemptEvent> = []
  const identity = { kind, attempt: current.attempt, runId: event.runId, runAttempt: event.runAttempt }
  if (advances && next.status === "in_progress") events.push({ _tag: "AttemptStarted", ...identity })
  if (advances && next.status === "completed") {
    if (rank(base.status) < 1) events.push({ _tag: "AttemptStarted", ...identity })
    events.push({ _tag: "AttemptCompleted", ...identity, conclusion: next.conclusion ?? null })
  }
  return { _tag: "Patched", document: patched.value, attempt: current.attempt, attached: attach, events }
}
