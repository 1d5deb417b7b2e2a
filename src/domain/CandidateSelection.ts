import type { RequestId } from "./RequestId.js"
import type { WorkflowRun } from "./WorkflowRun.js"

/**
 * How far before the dispatch time (by GitHub's clock) a run may have been created and still count.
 * Both sides are GitHub's own times truncated to whole seconds (the answer's `Date` header and the
 * run's `created_at`), so a run created in the second before the answer was stamped reads up to a
 * second early; the second second covers a run created while the dispatch was still being answered
 * and small skew between GitHub's hosts. Any wider only lets in older runs of our own.
 */
export const defaultToleranceMillis = 2_000

export interface CandidateCriteria {
  /** The branch or tag the workflow was dispatched on. */
  readonly ref: string
  /** When GitHub received the dispatch, from its `Date` header. */
  readonly dispatchedAtMillis: number
  readonly toleranceMillis: number
  /** The login that dispatched (our identity): only its runs can be ours. */
  readonly actor: string
  /** The request's correlation token: its id, rendered into `run-name` by workflows that opt in. */
  readonly token: RequestId
  /** Ids of other requests the caller knows of: a run whose title carries one belongs to that request. */
  readonly excludedTokens: ReadonlyArray<RequestId>
  /** Accept only runs whose title carries the token (for workflows known to render it). */
  readonly requireToken: boolean
}

/** `[A-Za-z0-9_-]`: characters that continue a request id wherever they stand. */
const idCharacter = /^[A-Za-z0-9_-]$/
const continuesId = (title: string, at: number): boolean => idCharacter.test(title.charAt(at))

/**
 * Whether `title` contains `token` as a whole word: not preceded by a character that could continue a
 * request id (`[A-Za-z0-9_.-]`), not followed by one (`[A-Za-z0-9_-]`, or a dot that more id follows),
 * so `req_b` never matches inside `req_bb`, `xreq_b` or `req_b.1`, while `(req_b).` does. Titles come
 * from outside and may be megabytes long: the scan is `indexOf` and a look at the neighbouring
 * characters, never a regular expression built from the token.
 */
export const titleCarriesToken = (title: string, token: string): boolean => {
  if (token === "") return false
  for (let at = title.indexOf(token); at !== -1; at = title.indexOf(token, at + 1)) {
    const before = at - 1
    const after = at + token.length
    if (continuesId(title, before) || title.charAt(before) === ".") continue
    if (continuesId(title, after) || (title.charAt(after) === "." && continuesId(title, after + 1))) continue
    return true
  }
  return false
}

/** A ref as dispatched (`main`, `refs/heads/main`) compared with a run's `head_branch` (`main`). */
const branchOf = (ref: string) => ref.replace(/^refs\/(heads|tags)\//, "")

/**
 * The runs that may be the one a dispatch created, best first. A candidate is a `workflow_dispatch`
 * run of our identity (its `actor` is `criteria.actor`, and its triggering actor is unknown or the
 * same), on the dispatched ref (or with no branch), created no earlier than dispatch time minus the
 * tolerance (inclusive), whose title carries none of the excluded tokens, and, when `requireToken`,
 * carries ours. Order: runs carrying our token first, then the earliest created, then the lower id.
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
    if (run.actor !== criteria.actor) continue
    if (run.triggeringActor !== null && run.triggeringActor !== criteria.actor) continue
    if (run.headBranch !== null && run.headBranch !== branch) continue
    if (run.createdAt < earliest) continue
    const carriesToken = titleCarriesToken(run.displayTitle, criteria.token)
    if (criteria.requireToken && !carriesToken) continue
    if (criteria.excludedTokens.some((other) => titleCarriesToken(run.displayTitle, other))) continue
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
