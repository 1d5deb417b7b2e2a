import { Clock, Effect, Either, Option } from "effect"
import { type CandidateCriteria, defaultToleranceMillis } from "../domain/CandidateSelection.js"
import { otherRequestIds } from "../domain/DispatchLane.js"
import type { RunId } from "../domain/RunId.js"
import { type GatewayError, WorkflowRunsGateway } from "../ports/WorkflowRunsGateway.js"
import {
  appendDispatchAttempt,
  failDispatchAttempt,
  noteAttemptUncertain,
  recordRun,
} from "./DispatchAttempt.js"
import { holdLane } from "./DispatchLaneHold.js"
import {
  DispatchNotConfigured,
  DispatchRefused,
  type DispatchRunInput,
  type DispatchRunOptions,
  type DispatchRunResult,
  type DispatchStep,
  type ResolutionSource,
  RunConflict,
} from "./DispatchRunContract.js"
import { findDispatchedRun } from "./FindDispatchedRun.js"
import { retryTransient } from "./RequestUpdates.js"
import { claimRun } from "./RunIndex.js"

// Its parts, for the modules (the library entry, the simulation's baseline) that import them from here.
export { appendDispatchAttempt } from "./DispatchAttempt.js"
export * from "./DispatchRunContract.js"

/**
 * Refusals that prove GitHub created no run (an answer refusing it, or a connection GitHub's server
 * refused); anything else — a 5xx, a timeout, a reset — might have created one.
 */
const createdNoRun = (error: GatewayError) => error.reason !== "Unavailable"

/**
 * Dispatches a workflow for a request and learns which run GitHub started for it:
 * append a queued attempt (compare-and-set) → take the dispatch lane of (repository, workflow, ref)
 * → dispatch → claim the run GitHub names, or list our identity's runs and claim the first unclaimed
 * one created after the dispatch → record the run id and URL on the attempt → free the lane.
 *
 * The lane makes the listing exact: while this dispatch holds it, no other dispatch on the lane is
 * in flight in any process on the store, and earlier ones have claimed their runs (or their late-run
 * window has closed). A dispatch whose run is not found in its polls keeps the lane, awaiting, until
 * the window closes, so a late run still goes to it (the webhook's lane fallback, or reconcile).
 */
export const dispatchRun = Effect.fn("DispatchRun.dispatchRun")(function* (
  input: DispatchRunInput,
  options: DispatchRunOptions = {},
) {
  const gateway = yield* WorkflowRunsGateway
  const toleranceMillis = options.toleranceMillis ?? defaultToleranceMillis
  const startedAt = yield* Clock.currentTimeMillis

  // Configuration first: without GitHub credentials (or an identity that cannot be learned from
  // them) a dispatch cannot succeed, and nothing is written.
  const learnedIdentity = yield* Effect.either(gateway.identity)
  if (Either.isLeft(learnedIdentity) && learnedIdentity.left.reason === "NotConfigured")
    return yield* new DispatchNotConfigured({
      requestId: input.requestId,
      kind: input.kind,
      cause: learnedIdentity.left,
    })

  const attempt = yield* appendDispatchAttempt(input, startedAt)
  const result = (runId: Option.Option<RunId>, url: Option.Option<string>, source: ResolutionSource) =>
    Effect.map(
      Clock.currentTimeMillis,
      (now): DispatchRunResult => ({
        requestId: input.requestId,
        kind: input.kind,
        attempt,
        runId,
        url,
        source,
        resolvedAfterMillis: Option.isSome(runId) ? Option.some(now - startedAt) : Option.none(),
      }),
    )
  const refuse = (error: GatewayError) =>
    Effect.gen(function* () {
      yield* failDispatchAttempt(input, attempt, error.message)
      return yield* new DispatchRefused({
        requestId: input.requestId,
        kind: input.kind,
        attempt,
        cause: error,
      })
    })

  const actor = Either.isRight(learnedIdentity) ? learnedIdentity.right : yield* refuse(learnedIdentity.left)
  const progress = (step: DispatchStep) => Effect.sync(() => options.onProgress?.(step))
  // A required token names the run exactly: no lane needed. Otherwise the lane makes the listing exact.
  const hold = yield* holdLane(input, attempt, actor, progress)
  const { lane, learned, end, awaitLate } = hold

  return yield* Effect.gen(function* () {
    yield* progress({ _tag: "Dispatching" })
    // After an ambiguous failure, runs of ours from before this instant are not this dispatch's.
    const sentAt = yield* Clock.currentTimeMillis
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
      if (createdNoRun(error)) {
        yield* end(null, "")
        return yield* refuse(error)
      }
      // The call may have reached GitHub: note it, and look for the run, still holding the lane.
      yield* noteAttemptUncertain(input, attempt, error.message)
    }

    if (dispatched._tag === "Right" && Option.isSome(dispatched.right.runId)) {
      const runId = dispatched.right.runId.value
      const claim = yield* retryTransient(claimRun({ kind: input.kind, runId, requestId: input.requestId }))
      if (claim._tag === "OwnedByOther" || claim._tag === "Blocked") {
        const conflict = new RunConflict({
          requestId: input.requestId,
          kind: input.kind,
          runId,
          detail:
            claim._tag === "OwnedByOther"
              ? `GitHub named this run but the index gives it to ${claim.owner}`
              : `the index entry is invalid (${claim.invalid.reason})`,
        })
        // The attempt is left without a run: say why on it, so it is not silently stuck in `queued`.
        yield* noteAttemptUncertain(input, attempt, conflict.message)
        yield* end(null, "")
        return yield* conflict
      }
      yield* recordRun(input, attempt, runId, dispatched.right.htmlUrl)
      yield* end(runId, "")
      return yield* result(Option.some(runId), dispatched.right.htmlUrl, "run-details")
    }

    const serverTime = dispatched._tag === "Right" ? dispatched.right.serverTime : sentAt
    const criteria: CandidateCriteria = {
      ref: input.ref,
      dispatchedAtMillis: serverTime,
      toleranceMillis,
      token: input.requestId,
      requireToken: (input.requireToken ?? false) || learned.rendersRequestId,
      actor,
      excludedTokens: otherRequestIds(learned, input.requestId),
    }
    const found = yield* findDispatchedRun(
      input,
      {
        filter: {
          repository: input.repository,
          workflow: input.workflow,
          branch: lane.branch,
          event: "workflow_dispatch",
          actor,
          createdFrom: serverTime - toleranceMillis,
          perPage: 100,
        },
        criteria,
        skip: new Set(learned.recent.flatMap((each) => (each.runId === null ? [] : [each.runId]))),
        hold,
        progress,
      },
      options,
    )
    if (Option.isNone(found)) {
      const now = yield* Clock.currentTimeMillis
      yield* awaitLate(serverTime, Math.max(now, serverTime) + hold.lateRunWindowMillis)
      yield* noteAttemptUncertain(
        input,
        attempt,
        "no run found for this dispatch yet; its lane waits for it, and the webhook or reconcile will attach it",
      )
      return yield* result(Option.none(), Option.none(), "unresolved")
    }
    const url = Option.some(found.value.htmlUrl)
    yield* recordRun(input, attempt, found.value.id, url)
    yield* end(found.value.id, found.value.displayTitle)
    return yield* result(Option.some(found.value.id), url, "list")
  }).pipe(
    // Failed or interrupted after the dispatch may have gone out: keep the lane for a late run.
    Effect.onExit((exit) =>
      exit._tag === "Success"
        ? Effect.void
        : Effect.flatMap(Clock.currentTimeMillis, (now) =>
            awaitLate(startedAt, now + hold.lateRunWindowMillis).pipe(Effect.ignore),
          ),
    ),
  )
})
