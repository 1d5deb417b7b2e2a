/**
 * BASELINE FOR COMPARISON ONLY. The earlier algorithm, kept so that `run-index simulate --strategy
 * check-then-put` can show side by side what atomic claims prevent: after the dispatch it lists the
 * workflow's runs, takes the earliest run created after the dispatch whose index entry it does not
 * see, and writes the entry with an unconditional put. No run details, no correlation token, no
 * claim. Two requests that look at the same moment both see the slot empty and both take the run.
 *
 * Nothing but the simulation uses it: the service, the CLI's `dispatch` and the library's exports
 * never reach this module.
 */
import { Clock, Data, Effect, Option, Stream } from "effect"
import { defaultToleranceMillis } from "../../domain/CandidateSelection.js"
import { attachRun, failAttempt, noteDispatchUncertain } from "../../domain/RequestDocument.js"
import { timestampFromMillis } from "../../domain/Timestamp.js"
import type { WorkflowRun } from "../../domain/WorkflowRun.js"
import { RunIndexStore } from "../../ports/RunIndexStore.js"
import { WorkflowRunsGateway } from "../../ports/WorkflowRunsGateway.js"
import {
  appendDispatchAttempt,
  DispatchRefused,
  type DispatchRunInput,
  type DispatchRunOptions,
  type DispatchRunResult,
  resolutionPolls,
} from "../../programs/DispatchRun.js"
import { retryTransient, updateRequest } from "../../programs/RequestUpdates.js"
import { putRunIndex } from "../../programs/RunIndex.js"

class NoFreeRun extends Data.TaggedError("NoFreeRun")<{}> {}

const branchOf = (ref: string) => ref.replace(/^refs\/(heads|tags)\//, "")

/** The earlier selection: dispatched runs on the ref created at or after dispatch − tolerance, earliest first. */
const earliestFirst = (runs: ReadonlyArray<WorkflowRun>, ref: string, earliest: number) =>
  runs
    .filter(
      (run) =>
        run.event === "workflow_dispatch" &&
        (run.headBranch === null || run.headBranch === branchOf(ref)) &&
        run.createdAt >= earliest,
    )
    .sort((left, right) => left.createdAt - right.createdAt || left.id - right.id)

/**
 * BASELINE: dispatch, then check the index and put unconditionally (see the module comment). Same
 * attempt bookkeeping and result as `dispatchRun`, so only the correlation differs.
 */
export const dispatchCheckThenPut = Effect.fn("CheckThenPutBaseline.dispatch")(function* (
  input: DispatchRunInput,
  options: DispatchRunOptions = {},
) {
  const gateway = yield* WorkflowRunsGateway
  const index = yield* RunIndexStore
  const toleranceMillis = options.toleranceMillis ?? defaultToleranceMillis
  const startedAt = yield* Clock.currentTimeMillis
  const attempt = yield* appendDispatchAttempt(input, startedAt)
  const dispatched = yield* Effect.either(
    gateway.dispatch({
      repository: input.repository,
      workflow: input.workflow,
      ref: input.ref,
      inputs: input.inputs,
    }),
  )
  if (dispatched._tag === "Left") {
    const error = dispatched.left
    const at = timestampFromMillis(yield* Clock.currentTimeMillis)
    if (error.reason !== "Unavailable") {
      yield* updateRequest(input.requestId, (document) =>
        failAttempt(document, input.kind, attempt, { message: error.message, at }),
      )
      return yield* new DispatchRefused({
        requestId: input.requestId,
        kind: input.kind,
        attempt,
        cause: error,
      })
    }
    yield* updateRequest(input.requestId, (document) =>
      noteDispatchUncertain(document, input.kind, attempt, error.message),
    )
  }

  const lookOnce = Effect.gen(function* () {
    const actor = yield* gateway.identity
    const runs = yield* gateway
      .listRuns({
        repository: input.repository,
        workflow: input.workflow,
        branch: branchOf(input.ref),
        event: "workflow_dispatch",
        actor,
        createdFrom: startedAt - toleranceMillis,
        perPage: 100,
      })
      .pipe(Stream.runCollect)
    for (const run of earliestFirst([...runs], input.ref, startedAt - toleranceMillis)) {
      // The race this baseline exists to show: between this read and the put below, another request
      // can read the same empty slot.
      const seen = yield* retryTransient(index.get({ kind: input.kind, runId: run.id }))
      if (seen._tag === "Found" && seen.entry.requestId !== input.requestId) continue
      if (seen._tag === "Invalid") continue
      yield* retryTransient(putRunIndex({ kind: input.kind, runId: run.id, requestId: input.requestId }))
      return run
    }
    return yield* new NoFreeRun()
  })
  const found = yield* lookOnce.pipe(
    Effect.retry({
      schedule: options.polls ?? resolutionPolls,
      while: (error) =>
        error._tag === "NoFreeRun" || (error._tag === "GatewayError" && error.reason !== "NotFound"),
    }),
    Effect.map(Option.some),
    Effect.catchTags({
      NoFreeRun: () => Effect.succeed(Option.none<WorkflowRun>()),
      GatewayError: () => Effect.succeed(Option.none<WorkflowRun>()),
    }),
  )
  if (Option.isNone(found)) {
    yield* updateRequest(input.requestId, (document) =>
      noteDispatchUncertain(document, input.kind, attempt, "no run found for this dispatch (baseline)"),
    )
    return {
      requestId: input.requestId,
      kind: input.kind,
      attempt,
      runId: Option.none(),
      url: Option.none(),
      source: "unresolved",
      resolvedAfterMillis: Option.none(),
    } satisfies DispatchRunResult
  }
  const run = found.value
  yield* updateRequest(
    input.requestId,
    (document) => attachRun(document, input.kind, attempt, { runId: run.id, url: run.htmlUrl }).document,
  )
  const finishedAt = yield* Clock.currentTimeMillis
  return {
    requestId: input.requestId,
    kind: input.kind,
    attempt,
    runId: Option.some(run.id),
    url: Option.some(run.htmlUrl),
    source: "list",
    resolvedAfterMillis: Option.some(finishedAt - startedAt),
  } satisfies DispatchRunResult
})
