import { Effect, Either, Option, Schedule, Schema, Stream } from "effect"
import { type Attempt, attemptsOf, type RequestDocument } from "../domain/RequestDocument.js"
import type { RequestId } from "../domain/RequestId.js"
import { applyRunEvent, type RunEvent } from "../domain/RunEventPatch.js"
import type { RunId } from "../domain/RunId.js"
import { type WorkflowKind, workflowKinds } from "../domain/WorkflowKind.js"
import { RepositoryName, type WorkflowRun } from "../domain/WorkflowRun.js"
import { AttemptEvents } from "../ports/AttemptEvents.js"
import { RequestStore } from "../ports/RequestStore.js"
import type { StoreFailureReason } from "../ports/StoreError.js"
import { WebhookSettings } from "../ports/WebhookSettings.js"
import {
  type GatewayFailureReason,
  isTransientGatewayError,
  WorkflowRunsGateway,
} from "../ports/WorkflowRunsGateway.js"
import { type RequestUnavailable, retryTransient, updateRequestWith } from "./RequestUpdates.js"

/**
 * Why an attempt could not be reconciled: `github:<reason>` (GitHub refused or failed),
 * `store:<reason>` (the store could not answer), `request:<reason>` (the document is missing,
 * invalid or too contended), `run-not-found` (GitHub has no such run in the attempt's repository),
 * `no-repository` (the attempt does not say which repository it was dispatched to).
 */
export type ReconcileFailure =
  | "no-repository"
  | "run-not-found"
  | `github:${GatewayFailureReason}`
  | `store:${StoreFailureReason}`
  | `request:${RequestUnavailable["reason"]}`

/** What reconcile did: attempts checked, and how each ended. */
export interface ReconcileReport {
  /** Attempts holding a run id that were not completed. */
  readonly checked: number
  /** Attempts whose state changed to what GitHub holds. */
  readonly patched: number
  /** Attempts that already showed what GitHub holds (a run still in progress, say). */
  readonly unchanged: number
  /** Attempts that could not be checked, counted by reason. */
  readonly failed: Readonly<Partial<Record<ReconcileFailure, number>>>
}

export const emptyReconcileReport: ReconcileReport = { checked: 0, patched: 0, unchanged: 0, failed: {} }

/** Adds two reports. */
export const combineReconcileReports = (left: ReconcileReport, right: ReconcileReport): ReconcileReport => {
  const failed: Partial<Record<ReconcileFailure, number>> = { ...left.failed }
  for (const [reason, count] of Object.entries(right.failed) as Array<[ReconcileFailure, number]>) {
    failed[reason] = (failed[reason] ?? 0) + count
  }
  return {
    checked: left.checked + right.checked,
    patched: left.patched + right.patched,
    unchanged: left.unchanged + right.unchanged,
    failed,
  }
}

/** A GitHub call that failed for a passing reason is asked again twice, a second apart and more. */
export const reconcileGatewayRetries = Schedule.exponential("1 second", 2).pipe(
  Schedule.intersect(Schedule.recurs(2)),
)

/** Documents reconciled at once by `reconcileAll`. */
const requestConcurrency = 4

const isRepositoryName = Schema.is(RepositoryName)

/** The run as a `workflow_run` event would describe it, for the patch rules. */
const runEventOf = (run: WorkflowRun): RunEvent => ({
  runId: run.id,
  runAttempt: run.runAttempt,
  status: run.status,
  conclusion: run.conclusion,
  headSha: run.headSha,
  htmlUrl: run.htmlUrl,
  repository: run.repository,
  createdAt: run.createdAt,
  updatedAt: run.updatedAt,
})

/** Attempts that hold a run and are not completed: the ones whose webhook may have been missed. */
export const openAttempts = (
  document: RequestDocument,
): ReadonlyArray<{ readonly kind: WorkflowKind; readonly attempt: Attempt & { readonly runId: RunId } }> =>
  workflowKinds.flatMap((kind) =>
    attemptsOf(document, kind)
      .filter(
        (attempt): attempt is Attempt & { readonly runId: RunId } =>
          attempt.runId !== undefined && attempt.status !== "completed",
      )
      .map((attempt) => ({ kind, attempt })),
  )

const single = (outcome: "patched" | "unchanged" | { readonly failed: ReconcileFailure }): ReconcileReport =>
  typeof outcome === "string"
    ? { ...emptyReconcileReport, checked: 1, [outcome]: 1 }
    : { ...emptyReconcileReport, checked: 1, failed: { [outcome.failed]: 1 } }

/** Asks GitHub for one attempt's run and applies it with the webhook's patch rules. */
const reconcileAttempt = Effect.fn("Reconcile.reconcileAttempt")(function* (
  requestId: RequestId,
  kind: WorkflowKind,
  attempt: Attempt & { readonly runId: RunId },
) {
  const gateway = yield* WorkflowRunsGateway
  const settings = yield* WebhookSettings
  if (!isRepositoryName(attempt.repository)) return single({ failed: "no-repository" })
  const found = yield* gateway
    .getRun(attempt.repository, attempt.runId)
    .pipe(Effect.retry({ schedule: reconcileGatewayRetries, while: isTransientGatewayError }), Effect.either)
  if (Either.isLeft(found)) return single({ failed: `github:${found.left.reason}` })
  if (Option.isNone(found.right)) return single({ failed: "run-not-found" })
  const event = runEventOf(found.right.value)
  const written = yield* updateRequestWith(requestId, (document) => {
    const outcome = applyRunEvent(document, kind, event, settings.toleranceMillis)
    return {
      write: outcome._tag === "Patched" ? Option.some(outcome.document) : Option.none(),
      result: outcome,
    }
  }).pipe(Effect.either)
  if (Either.isLeft(written)) {
    const error = written.left
    return single({
      failed: error._tag === "StoreError" ? `store:${error.reason}` : `request:${error.reason}`,
    })
  }
  const final = written.right.result
  if (final._tag !== "Patched") return single("unchanged")
  if (final.events.length > 0) {
    const sink = yield* AttemptEvents
    yield* sink.publish(final.events.map((each) => ({ requestId, event: each })))
  }
  yield* Effect.logInfo("attempt reconciled").pipe(
    Effect.annotateLogs({ requestId, kind, attempt: final.attempt, runId: event.runId }),
  )
  return single("patched")
})

/**
 * Reconciles one request: for every attempt that holds a run id and is not completed, asks GitHub
 * for the run and applies the same patch a `workflow_run` webhook would (compare-and-set, the same
 * attempt events). A missing or unreadable document is one failed check.
 */
export const reconcileRequest = Effect.fn("Reconcile.reconcileRequest")(function* (requestId: RequestId) {
  const store = yield* RequestStore
  const read = yield* retryTransient(store.get(requestId)).pipe(Effect.either)
  if (Either.isLeft(read)) return single({ failed: `store:${read.left.reason}` })
  if (read.right._tag !== "Found") return single({ failed: `request:${read.right._tag}` })
  let report = emptyReconcileReport
  for (const { kind, attempt } of openAttempts(read.right.document)) {
    report = combineReconcileReports(report, yield* reconcileAttempt(requestId, kind, attempt))
  }
  return report
})

/**
 * Reconciles every request document, streaming the listing (a few documents at a time), and adds
 * up the reports. A listing that fails part way fails the whole run with the store's error.
 */
export const reconcileAll = Effect.fn("Reconcile.reconcileAll")(function* (
  options: { readonly onRequest?: (seen: number) => void } = {},
) {
  const store = yield* RequestStore
  let seen = 0
  return yield* store.list().pipe(
    Stream.mapEffect(reconcileRequest, { concurrency: requestConcurrency }),
    Stream.tap(() => Effect.sync(() => options.onRequest?.(++seen))),
    Stream.runFold(emptyReconcileReport, combineReconcileReports),
  )
})
