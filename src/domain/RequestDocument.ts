import { Option, Schema } from "effect"
import type { RequestId } from "./RequestId.js"
import { RunId } from "./RunId.js"
import { type WorkflowKind, workflowKinds } from "./WorkflowKind.js"

/** Fields this project does not know: decoded as they are and written back untouched. */
const OtherFields = Schema.Record({ key: Schema.String, value: Schema.Unknown })

export const AttemptStatus = Schema.Literal("queued", "in_progress", "completed", "unknown")
export type AttemptStatus = typeof AttemptStatus.Type

/** One dispatch of a workflow for a request (DESIGN.md §2), with our optional additions. */
export const Attempt = Schema.Struct(
  {
    attempt: Schema.Number.pipe(Schema.int(), Schema.positive()),
    status: AttemptStatus,
    dispatchedAt: Schema.String,
    runId: Schema.optional(RunId),
    url: Schema.optional(Schema.String),
    conclusion: Schema.optional(Schema.NullOr(Schema.String)),
    completedAt: Schema.optional(Schema.NullOr(Schema.String)),
    headSha: Schema.optional(Schema.String),
    ref: Schema.optional(Schema.String),
    actor: Schema.optional(Schema.String),
    /** Added by run-index: the repository dispatched to, `owner/repo`. */
    repository: Schema.optional(Schema.String),
    /** Added by run-index: GitHub's `run_attempt` the status belongs to. */
    runAttempt: Schema.optional(Schema.Number),
    /** Added by run-index: why the dispatch failed, when it did. */
    dispatchError: Schema.optional(Schema.String),
  },
  OtherFields,
)
export type Attempt = typeof Attempt.Type

export const KindRuns = Schema.Struct(
  {
    currentAttempt: Schema.Number.pipe(Schema.int(), Schema.nonNegative()),
    attempts: Schema.Array(Attempt),
  },
  OtherFields,
)
export type KindRuns = typeof KindRuns.Type

const runsFields = Object.fromEntries(workflowKinds.map((kind) => [kind, Schema.optional(KindRuns)])) as {
  readonly [K in WorkflowKind]: Schema.optional<typeof KindRuns>
}

/** `requests/<requestId>.json`: a numeric `version`, and per kind its attempts; everything else kept. */
export const RequestDocument = Schema.Struct(
  {
    version: Schema.Number,
    runs: Schema.optionalWith(Schema.Struct(runsFields, OtherFields), { default: () => ({}) }),
  },
  OtherFields,
)
export type RequestDocument = typeof RequestDocument.Type

/** Where a request document lives, in the same bucket as the index. */
export const requestPath = (requestId: RequestId): string => `requests/${requestId}.json`

export const decodeRequestDocument = Schema.decodeUnknownEither(Schema.parseJson(RequestDocument))
export const encodeRequestDocument = (document: RequestDocument): string =>
  JSON.stringify(Schema.encodeSync(RequestDocument)(document))

/** A document for a request seen for the first time. */
export const newRequestDocument = (requestId: RequestId): RequestDocument =>
  RequestDocument.make({ requestId, version: 0, runs: {} })

export const attemptsOf = (document: RequestDocument, kind: WorkflowKind): ReadonlyArray<Attempt> =>
  document.runs[kind]?.attempts ?? []

export interface NewAttempt {
  readonly kind: WorkflowKind
  readonly dispatchedAt: string
  readonly ref: string
  readonly repository: string
  readonly actor?: string
}

const withKindRuns = (document: RequestDocument, kind: WorkflowKind, runs: KindRuns): RequestDocument => ({
  ...document,
  runs: { ...document.runs, [kind]: runs },
})

/** Appends attempt `currentAttempt + 1`, queued; returns the document and the attempt's number. */
export const appendAttempt = (
  document: RequestDocument,
  input: NewAttempt,
): { readonly document: RequestDocument; readonly attempt: number } => {
  const current = document.runs[input.kind]
  const attempt = (current?.currentAttempt ?? 0) + 1
  const added: Attempt = {
    attempt,
    status: "queued",
    dispatchedAt: input.dispatchedAt,
    ref: input.ref,
    repository: input.repository,
    ...(input.actor === undefined ? {} : { actor: input.actor }),
  }
  const runs: KindRuns = {
    ...(current ?? {}),
    currentAttempt: attempt,
    attempts: [...(current?.attempts ?? []), added],
  }
  return { document: withKindRuns(document, input.kind, runs), attempt }
}

/** Replaces one attempt through `change`; `None` when the attempt does not exist or nothing changed. */
export const updateAttempt = (
  document: RequestDocument,
  kind: WorkflowKind,
  attempt: number,
  change: (attempt: Attempt) => Attempt,
): Option.Option<RequestDocument> => {
  const current = document.runs[kind]
  const index = current?.attempts.findIndex((each) => each.attempt === attempt) ?? -1
  if (current === undefined || index < 0) return Option.none()
  const before = current.attempts[index]!
  const after = change(before)
  if (after === before) return Option.none()
  const attempts = current.attempts.map((each, position) => (position === index ? after : each))
  return Option.some(withKindRuns(document, kind, { ...current, attempts }))
}

export type AttachOutcome = "attached" | "already-attached" | "holds-another-run" | "no-such-attempt"

/**
 * Records the run on the attempt. Never replaces a different run id: an attempt that already holds
 * another run is left as it is and reported.
 */
export const attachRun = (
  document: RequestDocument,
  kind: WorkflowKind,
  attempt: number,
  run: { readonly runId: RunId; readonly url?: string },
): { readonly outcome: AttachOutcome; readonly document: Option.Option<RequestDocument> } => {
  const existing = attemptsOf(document, kind).find((each) => each.attempt === attempt)
  if (existing === undefined) return { outcome: "no-such-attempt", document: Option.none() }
  if (existing.runId !== undefined) {
    const sameRun = existing.runId === run.runId
    const needsUrl = sameRun && existing.url === undefined && run.url !== undefined
    if (!needsUrl)
      return { outcome: sameRun ? "already-attached" : "holds-another-run", document: Option.none() }
  }
  const updated = updateAttempt(document, kind, attempt, (each) => ({
    ...each,
    runId: run.runId,
    ...(run.url === undefined ? {} : { url: run.url }),
  }))
  return { outcome: "attached", document: updated }
}

/** Marks an attempt whose dispatch GitHub refused: completed, conclusion `dispatch_failed`, the reason kept. */
export const failAttempt = (
  document: RequestDocument,
  kind: WorkflowKind,
  attempt: number,
  failure: { readonly message: string; readonly at: string },
): Option.Option<RequestDocument> =>
  updateAttempt(document, kind, attempt, (each) =>
    each.runId !== undefined
      ? each
      : {
          ...each,
          status: "completed",
          conclusion: "dispatch_failed",
          completedAt: failure.at,
          dispatchError: failure.message,
        },
  )

/** Notes a dispatch whose outcome is unknown (the call timed out): the attempt stays queued for reconcile. */
export const noteDispatchUncertain = (
  document: RequestDocument,
  kind: WorkflowKind,
  attempt: number,
  message: string,
): Option.Option<RequestDocument> =>
  updateAttempt(document, kind, attempt, (each) =>
    each.dispatchError === message ? each : { ...each, dispatchError: message },
  )
