import { Clock, Effect, Option } from "effect"
import {
  appendAttempt,
  attachRun,
  failAttempt,
  noteDispatchUncertain,
  type RequestDocument,
} from "../domain/RequestDocument.js"
import type { RunId } from "../domain/RunId.js"
import { timestampFromMillis } from "../domain/Timestamp.js"
import type { WorkflowKind } from "../domain/WorkflowKind.js"
import { type DispatchRunInput, RunConflict } from "./DispatchRunContract.js"
import { updateRequest } from "./RequestUpdates.js"

// A dispatch's attempt on the request document, each change a compare-and-set.

const currentAttemptOf = (document: RequestDocument, kind: WorkflowKind) =>
  document.runs[kind]?.currentAttempt ?? 0

/**
 * Records a new attempt of `input.kind`, dispatched at `startedAt`, creating the request document if
 * there is none; returns the attempt's number.
 */
export const appendDispatchAttempt = (input: DispatchRunInput, startedAt: number) =>
  Effect.map(
    updateRequest(
      input.requestId,
      (document) =>
        Option.some(
          appendAttempt(document, {
            kind: input.kind,
            dispatchedAt: timestampFromMillis(startedAt),
            ref: input.ref,
            repository: input.repository,
            ...(input.actor === undefined ? {} : { actor: input.actor }),
          }).document,
        ),
      { createIfMissing: true },
    ),
    (appended) => currentAttemptOf(appended.document, input.kind),
  )

/** Marks the attempt `dispatch_failed`, now, with `message`. */
export const failDispatchAttempt = (input: DispatchRunInput, attempt: number, message: string) =>
  Effect.gen(function* () {
    const at = timestampFromMillis(yield* Clock.currentTimeMillis)
    return yield* updateRequest(input.requestId, (document) =>
      failAttempt(document, input.kind, attempt, { message, at }),
    )
  })

/** Notes on the attempt why it has no run (yet): the dispatch's answer was lost, or its run is awaited. */
export const noteAttemptUncertain = (input: DispatchRunInput, attempt: number, message: string) =>
  updateRequest(input.requestId, (document) => noteDispatchUncertain(document, input.kind, attempt, message))

/** Records the run id and URL on the attempt; `RunConflict` when the attempt already holds another run. */
export const recordRun = (
  input: DispatchRunInput,
  attempt: number,
  runId: RunId,
  url: Option.Option<string>,
) =>
  Effect.gen(function* () {
    const attached = yield* updateRequest(input.requestId, (document) => {
      const outcome = attachRun(document, input.kind, attempt, {
        runId,
        ...Option.match(url, { onNone: () => ({}), onSome: (htmlUrl) => ({ url: htmlUrl }) }),
      })
      return outcome.document
    })
    const holds = attached.document.runs[input.kind]?.attempts.find((each) => each.attempt === attempt)?.runId
    if (holds !== runId) {
      return yield* new RunConflict({
        requestId: input.requestId,
        kind: input.kind,
        runId,
        detail: `attempt ${attempt} already holds run ${holds}`,
      })
    }
  })
