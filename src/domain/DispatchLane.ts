import { Option, Schema } from "effect"
import { RequestId } from "./RequestId.js"
import { RunId } from "./RunId.js"
import { WorkflowKind } from "./WorkflowKind.js"
import { type RepositoryName, splitRepository } from "./WorkflowRun.js"

/**
 * Lane records live here: beside the index, never under it, so nothing that lists, sweeps,
 * verifies or expires the index (or a lifecycle rule on its prefix) sees them.
 */
export const dispatchLanesPrefix = "webhooks/github/dispatch-lanes/"

/**
 * One (repository, workflow, branch). While a dispatch on it has not found its run, no other dispatch
 * on it is in flight, so the first unclaimed run of ours created after that dispatch is its own.
 */
export interface Lane {
  readonly repository: RepositoryName
  /** The workflow file's name (`apply.yml`), or its numeric id when dispatched by id. */
  readonly workflow: string
  /** The branch or tag name, without `refs/heads/` or `refs/tags/`. */
  readonly branch: string
}

/** A ref as dispatched (`main`, `refs/heads/main`) as a run's `head_branch` names it (`main`). */
export const branchOfRef = (ref: string): string => ref.replace(/^refs\/(heads|tags)\//, "")

/** `.github/workflows/apply.yml` → `apply.yml`; a bare file name or a numeric id stays as it is. */
export const workflowFileOf = (workflow: string): string => workflow.slice(workflow.lastIndexOf("/") + 1)

export const laneOf = (repository: RepositoryName, workflow: string, ref: string): Lane => ({
  repository,
  workflow: workflowFileOf(workflow),
  branch: branchOfRef(ref),
})

/**
 * A name as one key segment every store takes (letters, digits, `.`, `-`, and `_` as the escape):
 * any other byte of its UTF-8, `_` itself and a leading `.` become `_` and two hex digits, so
 * `feature/net_1` is `feature_2Fnet_5F1` and distinct names stay distinct.
 */
export const keySegment = (name: string): string => {
  let segment = ""
  for (const byte of new TextEncoder().encode(name)) {
    const char = String.fromCharCode(byte)
    const plain = /[A-Za-z0-9.-]/.test(char) && !(segment === "" && char === ".")
    segment += plain ? char : `_${byte.toString(16).toUpperCase().padStart(2, "0")}`
  }
  return segment
}

/** `webhooks/github/dispatch-lanes/<owner>/<repo>/<workflow>/<branch>.json`, each name a `keySegment`. */
export const lanePath = (lane: Lane): string => {
  const { owner, repo } = splitRepository(lane.repository)
  return `${dispatchLanesPrefix}${keySegment(owner)}/${keySegment(repo)}/${keySegment(lane.workflow)}/${keySegment(lane.branch)}.json`
}

export const laneName = (lane: Lane): string => `${lane.repository} ${lane.workflow} @ ${lane.branch}`

const EpochMillis = Schema.Number.pipe(Schema.int(), Schema.nonNegative())

/** The dispatch holding a lane. */
export const LaneHolder = Schema.Struct({
  /** A random token naming this hold: only its owner releases it, a takeover replaces it. */
  token: Schema.String,
  requestId: RequestId,
  kind: WorkflowKind,
  attempt: Schema.Number.pipe(Schema.int(), Schema.positive()),
  /** The GitHub login that dispatches: only its runs can be this dispatch's. */
  actor: Schema.String,
  /** When the holder took the lane (its clock): its run was created after this, less the tolerance. */
  acquiredAt: EpochMillis,
  /** When GitHub took the dispatch (its `Date`), once known. */
  dispatchedAt: Schema.optional(EpochMillis),
  /** The hold ends here unless renewed; a lane held past it is stale and may be taken over. */
  expiresAt: EpochMillis,
  /** The holder's polls ended without its run: the lane waits for it (webhook, reconcile) until `expiresAt`. */
  awaiting: Schema.Boolean,
})
export type LaneHolder = typeof LaneHolder.Type

/** A dispatch that held the lane, and the run it got (`null`: none found, or none created). */
export const LaneDispatch = Schema.Struct({
  requestId: RequestId,
  kind: WorkflowKind,
  attempt: Schema.Number.pipe(Schema.int(), Schema.positive()),
  runId: Schema.NullOr(RunId),
})
export type LaneDispatch = typeof LaneDispatch.Type

/** `<lane path>`: who holds the lane, who held it last, and what the lane has learned. */
export const LaneRecord = Schema.Struct({
  holder: Schema.NullOr(LaneHolder),
  /** The last dispatches on the lane, newest first. A run titled with one of their ids is not another's. */
  recent: Schema.Array(LaneDispatch),
  /** A run of this lane was seen titled with its own request id: the workflow renders it in `run-name`. */
  rendersRequestId: Schema.Boolean,
})
export type LaneRecord = typeof LaneRecord.Type

export const emptyLaneRecord: LaneRecord = { holder: null, recent: [], rendersRequestId: false }

/** How many past dispatches a lane record keeps. */
export const recentKept = 8

const LaneRecordJson = Schema.parseJson(LaneRecord)
export const decodeLaneRecord = Schema.decodeUnknownEither(LaneRecordJson)
export const encodeLaneRecord = Schema.encodeSync(LaneRecordJson)

/** Whether a dispatch holds the lane at `now`: a hold past its `expiresAt` is stale. */
export const isHeld = (record: LaneRecord, now: number): boolean =>
  record.holder !== null && record.holder.expiresAt > now

/** The record with `holder` taking the lane. */
export const withHolder = (record: LaneRecord, holder: LaneHolder): LaneRecord => ({ ...record, holder })

/** The record after the hold named `token` ended with `runId` (or none): the lane is free. */
export const released = (
  record: LaneRecord,
  holder: LaneHolder,
  outcome: { readonly runId: RunId | null; readonly rendersRequestId: boolean },
): LaneRecord => ({
  holder: null,
  recent: [
    { requestId: holder.requestId, kind: holder.kind, attempt: holder.attempt, runId: outcome.runId },
    ...record.recent.filter(
      (each) =>
        !(
          each.requestId === holder.requestId &&
          each.kind === holder.kind &&
          each.attempt === holder.attempt
        ),
    ),
  ].slice(0, recentKept),
  rendersRequestId: record.rendersRequestId || outcome.rendersRequestId,
})

/** The request ids a run of this lane must not carry to be `requestId`'s: the lane's other dispatches. */
export const otherRequestIds = (record: LaneRecord, requestId: RequestId): ReadonlyArray<RequestId> => [
  ...new Set(record.recent.map((each) => each.requestId).filter((each) => each !== requestId)),
]

/** What a lane fallback needs of a run, from a webhook or a listing. */
export interface LaneRun {
  readonly event: string
  readonly actor: string | null
  readonly triggeringActor: string | null
  readonly createdAt: number
  readonly titleCarries: (requestId: RequestId) => boolean
}

/**
 * The dispatch waiting on the lane that a run of it must belong to, if any: a lane held at `now`
 * whose holder's run it can be — a `workflow_dispatch` run by the holder's actor (and triggered by
 * it), created no earlier than the holder's dispatch less the tolerance, not titled with another of
 * the lane's requests, and titled with the holder's id when the lane's workflow renders ids.
 */
export const waitingDispatchFor = (
  record: LaneRecord,
  run: LaneRun,
  now: number,
  toleranceMillis: number,
): Option.Option<LaneHolder> => {
  const holder = record.holder
  if (holder === null || holder.expiresAt <= now) return Option.none()
  if (run.event !== "workflow_dispatch") return Option.none()
  if (run.actor !== holder.actor) return Option.none()
  if (run.triggeringActor !== null && run.triggeringActor !== holder.actor) return Option.none()
  if (run.createdAt < (holder.dispatchedAt ?? holder.acquiredAt) - toleranceMillis) return Option.none()
  if (otherRequestIds(record, holder.requestId).some(run.titleCarries)) return Option.none()
  if (record.rendersRequestId && !run.titleCarries(holder.requestId)) return Option.none()
  return Option.some(holder)
}
