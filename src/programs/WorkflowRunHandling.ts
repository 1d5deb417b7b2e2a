/** One `workflow_run` applied: classified, correlated, and the owning attempt patched with compare-and-set. */
import { Effect, Metric, Option } from "effect"
import { classifyRun } from "../domain/Classification.js"
import type { RequestId } from "../domain/RequestId.js"
import { applyRunEvent, type PatchOutcome } from "../domain/RunEventPatch.js"
import type { WorkflowKind } from "../domain/WorkflowKind.js"
import type { WorkflowRunPayload } from "../domain/WorkflowRunPayload.js"
import { AttemptEvents } from "../ports/AttemptEvents.js"
import { WebhookSettings } from "../ports/WebhookSettings.js"
import { type CorrelationSource, correlate, runEventOf } from "./Correlation.js"
import * as Metrics from "./Metrics.js"
import { updateRequestWith } from "./RequestUpdates.js"

/**
 * How a `workflow_run` ended: `Unclassified` (no kind for its workflow), `NoRequest` (no request
 * found for it), or what patching the owning attempt did.
 */
export type WorkflowRunOutcome = "Unclassified" | "NoRequest" | PatchOutcome["_tag"]

export interface WorkflowRunHandled {
  readonly outcome: WorkflowRunOutcome
  readonly source: CorrelationSource
  readonly requestId: RequestId | null
  readonly kind: WorkflowKind | null
}

/** Applies one `workflow_run` payload: classify, correlate, patch the owning attempt with compare-and-set. */
export const handleWorkflowRun = Effect.fnUntraced(function* (payload: WorkflowRunPayload) {
  const settings = yield* WebhookSettings
  const kind = classifyRun(
    { path: payload.workflow_run.path ?? "", name: payload.workflow_run.name ?? "" },
    settings.workflowFiles,
  )
  if (Option.isNone(kind)) {
    return {
      outcome: "Unclassified",
      source: "none",
      requestId: null,
      kind: null,
    } satisfies WorkflowRunHandled
  }
  const owner = yield* correlate(kind.value, payload)
  yield* Metric.increment(
    Metrics.correlations[
      Option.match(owner, { onNone: () => "none" as const, onSome: (each) => each.source })
    ],
  )
  if (Option.isNone(owner))
    return {
      outcome: "NoRequest",
      source: "none",
      requestId: null,
      kind: kind.value,
    } satisfies WorkflowRunHandled
  const { requestId, source, attempt } = owner.value
  yield* Effect.annotateCurrentSpan({ requestId, source })
  const event = runEventOf(payload)
  const final = yield* updateRequestWith(requestId, (document) => {
    const outcome = applyRunEvent(document, kind.value, event, settings.toleranceMillis, attempt)
    return {
      write: outcome._tag === "Patched" ? Option.some(outcome.document) : Option.none(),
      result: outcome,
    }
  }).pipe(
    Effect.map(({ result }): PatchOutcome => result),
    // A predicate, not a refinement: an invalid or contended document still fails (typed so).
    Effect.catchIf(
      (error) => error._tag === "RequestUnavailable" && error.reason === "Missing",
      () => Effect.succeed<PatchOutcome>({ _tag: "NoAttempt" }),
    ),
  )
  if (final._tag === "Patched" && final.events.length > 0) {
    const sink = yield* AttemptEvents
    yield* sink.publish(final.events.map((each) => ({ requestId, event: each })))
  }
  // Built only when info is logged: annotations cost more than a store call on the memory store.
  yield* Effect.whenLogLevel(
    Effect.logInfo("workflow_run handled").pipe(
      Effect.annotateLogs({
        runId: event.runId,
        runAttempt: event.runAttempt,
        kind: kind.value,
        requestId,
        source,
        outcome: final._tag,
      }),
    ),
    "Info",
  )
  return { outcome: final._tag, source, requestId, kind: kind.value } satisfies WorkflowRunHandled
})
