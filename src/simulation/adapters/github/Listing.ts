/**
 * How the GitHub simulator answers reads: a workflow's runs a page at a time, newest first, with
 * GitHub's filters, page sizes, offset paging and the search-backed cap on filtered listings; and
 * one run by id.
 */
import { Either, Option } from "effect"
import type { RunId } from "../../../domain/RunId.js"
import type { RepositoryName, WorkflowRun } from "../../../domain/WorkflowRun.js"
import type { GatewayError, RunFilter } from "../../../ports/WorkflowRunsGateway.js"
import { type Faults, failCall, type MutableCallCounts } from "./Faults.js"
import { notFound, type RunLifecycle } from "./RunLifecycle.js"
import type { SimulatedRun } from "./SimulatedRun.js"

/** Where a listing is: the page to fetch and where the previous page ended. */
export interface ListingCursor {
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

export interface ListingPage {
  readonly runs: ReadonlyArray<WorkflowRun>
  readonly next: Option.Option<ListingCursor>
}

export interface ListingSettings {
  /** Page size of a listing that does not ask for one. */
  readonly defaultPerPage: number
  /** The largest page size. */
  readonly perPageMax: number
  /** How many runs a listing with any filter can reach. */
  readonly filteredResultLimit: number
}

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

export const makeListing = (
  settings: ListingSettings,
  lifecycle: RunLifecycle,
  faults: Faults,
  counts: MutableCallCounts,
) => {
  const { defaultPerPage, perPageMax, filteredResultLimit } = settings

  const listPageAt = (
    filter: RunFilter,
    cursor: ListingCursor,
    now: number,
  ): Either.Either<ListingPage, GatewayError> => {
    lifecycle.advance(now)
    counts.listPages += 1
    const fault = faults.take("list")
    if (fault !== undefined) return failCall(counts, faults.errorOf(fault, "list", now))
    const workflow = lifecycle.findWorkflow(filter.repository, filter.workflow)
    if (workflow === undefined) {
      return failCall(
        counts,
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
      found.push(lifecycle.snapshot(run))
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
    lifecycle.advance(now)
    counts.get += 1
    const fault = faults.take("get")
    if (fault !== undefined) return failCall(counts, faults.errorOf(fault, "get", now))
    const run = lifecycle.runById(runId)
    return Either.right(
      run === undefined || run.workflow.repository !== repository
        ? Option.none()
        : Option.some(lifecycle.snapshot(run)),
    )
  }

  return { listPageAt, getRunAt }
}
