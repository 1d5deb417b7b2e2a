import type { RequestId } from "./RequestId.js"
import type { WorkflowRun } from "./WorkflowRun.js"

/** How far before the dispatch time (by GitHub's clock) a run may have been created and still count. */
export const defaultToleranceMillis = 5_000

export interface CandidateCriteria {
  /** The branch or tag the workflow was dispatched on. */
  readonly ref: string
  /** When GitHub received the dispatch, from its `Date` header. */
  readonly dispatchedAtMillis: number
  readonly toleranceMillis: number
  /** The request's correlation token: its id, rendered into `run-name` by workflows that opt in. */
  readonly token: RequestId
  /** Accept only runs whose title carries the token (for workflows known to render it). */
  readonly requireToken: boolean
  /** Our identity: only runs it dispatched (and triggered) can be ours. */
  readonly actor: string
  /** Other requests' ids: a run titled with one of them is never a candidate. */
  readonly excludedTokens: ReadonlyArray<RequestId>
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * Whether `title` contains `token` as a whole word: not preceded or followed by a character that
 * could continue a request id, so `req_b` never matches inside `req_bb` or `xreq_b`.
 */
export const titleCarriesToken = (title: string, token: string): boolean =>
  new RegExp(`(?<![A-Za-z0-9_.-])${escapeRegExp(token)}(?![A-Za-z0-9_-]|\\.[A-Za-z0-9_-])`).test(title)

/** A ref as dispatched (`main`, `refs/heads/main`) compared with a run's `head_branch` (`main`). */
const branchOf = (ref: string) => ref.replace(/^refs\/(heads|tags)\//, "")

/**
 * The runs that may be the one a dispatch created, best first: only `workflow_dispatch` runs, on the
 * dispatched ref (or with no branch), created no earlier than dispatch time minus the tolerance
 * (inclusive); a run carrying the token first, then the earliest (ties by lower id).
 */
export const selectCandidates = (
  runs: Iterable<WorkflowRun>,
  criteria: CandidateCriteria,
): ReadonlyArray<WorkflowRun> => {
  const branch = branchOf(criteria.ref)
  const earliest = criteria.dispatchedAtMillis - criteria.toleranceMillis
  const eligible: Array<{ readonly run: WorkflowRun; readonly carriesToken: boolean }> = []
  for (const run of runs) {
    if (run.event !== "workflow_dispatch") continue
    if (run.headBranch !== null && run.headBranch !== branch) continue
    if (run.createdAt < earliest) continue
    if (run.actor !== criteria.actor) continue
    if (criteria.excludedTokens.some((other) => titleCarriesToken(run.displayTitle, other))) continue
    const carriesToken = titleCarriesToken(run.displayTitle, criteria.token)
    if (criteria.requireToken && !carriesToken) continue
    eligible.push({ run, carriesToken })
  }
  return eligible
    .sort(
      (left, right) =>
        Number(right.carriesToken) - Number(left.carriesToken) ||
        left.run.createdAt - right.run.createdAt ||
        left.run.id - right.run.id,
    )
    .map(({ run }) => run)
}
