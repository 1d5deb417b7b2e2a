import { Clock, Data, Duration, Effect, Either, Option, Schedule, Stream } from "effect"
import {
  type CandidateCriteria,
  defaultToleranceMillis,
  selectCandidates,
  titleCarriesToken,
} from "../domain/CandidateSelection.js"
import { emptyLaneRecord, laneOf, otherRequestIds } from "../domain/DispatchLane.js"
import {
  appendAttempt,
  attachRun,
  failAttempt,
  noteDispatchUncertain,
  type RequestDocument,
} from "../domain/RequestDocument.js"
import type { RequestId } from "../domain/RequestId.js"
import type { RunId } from "../domain/RunId.js"
import { timestampFromMillis } from "../domain/Timestamp.js"
import type { WorkflowKind } from "../domain/WorkflowKind.js"
import type { RepositoryName, WorkflowRun } from "../domain/WorkflowRun.js"
import { DispatchLanes, type LaneLease, LaneSettings } from "../ports/DispatchLanes.js"
import { type GatewayError, WorkflowRunsGateway } from "../ports/WorkflowRunsGateway.js"
import { retryTransient, updateRequest } from "./RequestUpdates.js"
import { claimRun } from "./RunIndex.js"

/**
 * When to look for a run GitHub did not name: first 3 s after the answer (a run usually appears 1–5 s
 * after it, and an earlier look is a wasted call: 3.6 GitHub calls a dispatch at 2 s, 3.1 at 3 s in
 * the simulation), then every 1.5 s, 12 looks over about 20 s.
 */
export const firstLook = Duration.seconds(3)
export const resolutionPolls = Schedule.spaced("1500 millis").pipe(Schedule.intersect(Schedule.recurs(11)))

export interface DispatchRunInput {
  readonly kind: WorkflowKind
  readonly requestId: RequestId
  readonly repository: RepositoryName
  /** The workflow file (`apply.yml`) or id. */
  readonly workflow: string
  readonly ref: string
  readonly inputs: Readonly<Record<string, string>>
  readonly actor?: string | undefined
  /** Accept only runs whose title carries the request id (workflows that render it in `run-name`). */
  readonly requireToken?: boolean
}

export interface DispatchRunOptions {
  readonly toleranceMillis?: number
  /** Tries of list-and-match after a dispatch that returned no run id. */
  readonly polls?: Schedule.Schedule<unknown>
  /** The wait before the first of them. */
  readonly firstLook?: Duration.DurationInput
  /** Told each step a person may wait on: the lane, the dispatch, each look for the run. */
  readonly onProgress?: (step: DispatchStep) => void
}

/** What a dispatch is waiting on, for a progress line. */
export type DispatchStep =
  | { readonly _tag: "WaitingForLane" }
  | { readonly _tag: "Dispatching" }
  | { readonly _tag: "LookingForRun"; readonly look: number }

/** How the run id was learned: from the dispatch answer, by listing, or not at all (yet). */
export type ResolutionSource = "run-details" | "list" | "unresolved"

export interface DispatchRunResult {
  readonly requestId: RequestId
  readonly kind: WorkflowKind
  readonly attempt: number
  readonly runId: Option.Option<RunId>
  readonly url: Option.Option<string>
  readonly source: ResolutionSource
  /** Simulated or real milliseconds from dispatch to a claimed run id (None when unresolved). */
  readonly resolvedAfterMillis: Option.Option<number>
}

/** GitHub refused the dispatch; the attempt is marked `dispatch_failed` with the reason. */
export class DispatchRefused extends Data.TaggedError("DispatchRefused")<{
  readonly requestId: RequestId
  readonly kind: WorkflowKind
  readonly attempt: number
  readonly cause: GatewayError
}> {
  override get message(): string {
    return `dispatch of ${this.kind} for ${this.requestId} (attempt ${this.attempt}) refused: ${this.cause.message}`
  }
}

/** GitHub is not configured (credentials, or an identity that cannot be learned): nothing was written. */
export class DispatchNotConfigured extends Data.TaggedError("DispatchNotConfigured")<{
  readonly requestId: RequestId
  readonly kind: WorkflowKind
  readonly cause: GatewayError
}> {
  override get message(): string {
    return `dispatch of ${this.kind} for ${this.requestId} not attempted: ${this.cause.detail}`
  }
}

/** GitHub named a run that the index already gives to another request: never taken over. */
export class RunConflict extends Data.TaggedError("RunConflict")<{
  readonly requestId: RequestId
  readonly kind: WorkflowKind
  readonly runId: RunId
  readonly detail: string
}> {
  override get message(): string {
    return `${this.kind} run ${this.runId} for ${this.requestId}: ${this.detail}`
  }
}

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

/**
 * Refusals that prove GitHub created no run (an answer refusing it, or a connection GitHub's server
 * refused); anything else — a 5xx, a timeout, a reset — might have created one.
 */
const createdNoRun = (error: GatewayError) => error.reason !== "Unavailable"

class NoRunYet extends Data.TaggedError("NoRunYet")<{}> {}

/** The hold on the lane ended under us (taken over as stale, or settled): stop claiming for it. */
class LaneLost extends Data.TaggedError("LaneLost")<{}> {}

/** Claims the first candidate not owned by another request; fails with NoRunYet when none can be had. */
const claimFirst = (input: DispatchRunInput, candidates: ReadonlyArray<WorkflowRun>) =>
  Effect.gen(function* () {
    for (const run of candidates) {
      const claim = yield* retryTransient(
        claimRun({ kind: input.kind, runId: run.id, requestId: input.requestId }),
      )
      if (claim._tag === "Claimed" || claim._tag === "AlreadyYours") return run
    }
    return yield* new NoRunYet()
  })

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
  const lanes = yield* DispatchLanes
  const laneSettings = yield* LaneSettings
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
      const at = timestampFromMillis(yield* Clock.currentTimeMillis)
      yield* updateRequest(input.requestId, (document) =>
        failAttempt(document, input.kind, attempt, { message: error.message, at }),
      )
      return yield* new DispatchRefused({
        requestId: input.requestId,
        kind: input.kind,
        attempt,
        cause: error,
      })
    })

  const actor = Either.isRight(learnedIdentity) ? learnedIdentity.right : yield* refuse(learnedIdentity.left)
  const lane = laneOf(input.repository, input.workflow, input.ref)
  // A required token names the run exactly: no lane needed. Otherwise the lane makes the listing exact.
  const progress = (step: DispatchStep) => Effect.sync(() => options.onProgress?.(step))
  if (!input.requireToken) yield* progress({ _tag: "WaitingForLane" })
  const lease: Option.Option<LaneLease> = input.requireToken
    ? Option.none()
    : Option.some(
        yield* retryTransient(
          lanes.acquire(lane, { requestId: input.requestId, kind: input.kind, attempt, actor }),
        ).pipe(
          Effect.tapError((error) =>
            Effect.gen(function* () {
              const at = timestampFromMillis(yield* Clock.currentTimeMillis)
              yield* updateRequest(input.requestId, (document) =>
                failAttempt(document, input.kind, attempt, {
                  message: `not dispatched: ${error.message}`,
                  at,
                }),
              )
            }),
          ),
        ),
      )
  const learned = Option.match(lease, { onNone: () => emptyLaneRecord, onSome: (each) => each.record })
  let held = lease
  let ended = Option.isNone(lease)
  const end = (runId: RunId | null, title: string) =>
    Effect.suspend(() => {
      if (ended || Option.isNone(held)) return Effect.void
      ended = true
      // The run is recorded whatever happens here: a lane that cannot be freed frees itself when its hold expires.
      return retryTransient(
        lanes.release(held.value, {
          runId,
          rendersRequestId: title !== "" && titleCarriesToken(title, input.requestId),
        }),
      ).pipe(Effect.catchAll((error) => Effect.logWarning("dispatch lane not released", error)))
    })
  const awaitLate = (dispatchedAt: number, until: number) =>
    Effect.suspend(() => {
      if (ended || Option.isNone(held)) return Effect.void
      ended = true
      return retryTransient(lanes.awaitRun(held.value, { dispatchedAt, until })).pipe(
        Effect.catchAll((error) => Effect.logWarning("dispatch lane not marked awaiting its run", error)),
      )
    })

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
      yield* updateRequest(input.requestId, (document) =>
        noteDispatchUncertain(document, input.kind, attempt, error.message),
      )
    }

    const record = (runId: RunId, url: Option.Option<string>) =>
      Effect.gen(function* () {
        const attached = yield* updateRequest(input.requestId, (document) => {
          const outcome = attachRun(document, input.kind, attempt, {
            runId,
            ...Option.match(url, { onNone: () => ({}), onSome: (htmlUrl) => ({ url: htmlUrl }) }),
          })
          return outcome.document
        })
        const holds = attached.document.runs[input.kind]?.attempts.find(
          (each) => each.attempt === attempt,
        )?.runId
        if (holds !== runId) {
          return yield* new RunConflict({
            requestId: input.requestId,
            kind: input.kind,
            runId,
            detail: `attempt ${attempt} already holds run ${holds}`,
          })
        }
      })

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
        yield* updateRequest(input.requestId, (document) =>
          noteDispatchUncertain(document, input.kind, attempt, conflict.message),
        )
        yield* end(null, "")
        return yield* conflict
      }
      yield* record(runId, dispatched.right.htmlUrl)
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
    // Runs the lane's earlier dispatches got: claimed already, never worth a store call.
    const earlierRuns = new Set(learned.recent.flatMap((each) => (each.runId === null ? [] : [each.runId])))
    /** Keeps the hold alive while polls run long (rate limits): a lost hold stops the claiming. */
    const keepHold = Effect.gen(function* () {
      if (Option.isNone(held)) return
      const now = yield* Clock.currentTimeMillis
      if (held.value.holder.expiresAt - now > laneSettings.holdMillis / 2) return
      const renewed = yield* retryTransient(lanes.renew(held.value, now + laneSettings.holdMillis))
      if (Option.isNone(renewed)) return yield* new LaneLost()
      held = renewed
    })
    let looks = 0
    const lookOnce = Effect.gen(function* () {
      looks += 1
      yield* progress({ _tag: "LookingForRun", look: looks })
      const runs = yield* gateway
        .listRuns({
          repository: input.repository,
          workflow: input.workflow,
          branch: lane.branch,
          event: "workflow_dispatch",
          actor,
          createdFrom: serverTime - toleranceMillis,
          perPage: 100,
        })
        .pipe(Stream.runCollect)
      const candidates = selectCandidates(runs, criteria).filter((run) => !earlierRuns.has(run.id))
      if (candidates.length === 0) return yield* new NoRunYet()
      yield* keepHold
      return yield* claimFirst(input, candidates)
    })
    yield* Effect.sleep(options.firstLook ?? firstLook)
    const found = yield* lookOnce.pipe(
      Effect.retry({
        schedule: options.polls ?? resolutionPolls,
        while: (error) =>
          error._tag === "NoRunYet" || (error._tag === "GatewayError" && error.reason !== "NotFound"),
      }),
      Effect.map(Option.some),
      Effect.catchTags({
        NoRunYet: () => Effect.succeed(Option.none<WorkflowRun>()),
        GatewayError: () => Effect.succeed(Option.none<WorkflowRun>()),
        LaneLost: () => Effect.succeed(Option.none<WorkflowRun>()),
      }),
    )
    if (Option.isNone(found)) {
      const now = yield* Clock.currentTimeMillis
      yield* awaitLate(serverTime, Math.max(now, serverTime) + laneSettings.lateRunWindowMillis)
      yield* updateRequest(input.requestId, (document) =>
        noteDispatchUncertain(
          document,
          input.kind,
          attempt,
          "no run found for this dispatch yet; its lane waits for it, and the webhook or reconcile will attach it",
        ),
      )
      return yield* result(Option.none(), Option.none(), "unresolved")
    }
    const url = Option.some(found.value.htmlUrl)
    yield* record(found.value.id, url)
    yield* end(found.value.id, found.value.displayTitle)
    return yield* result(Option.some(found.value.id), url, "list")
  }).pipe(
    // Failed or interrupted after the dispatch may have gone out: keep the lane for a late run.
    Effect.onExit((exit) =>
      exit._tag === "Success"
        ? Effect.void
        : Effect.flatMap(Clock.currentTimeMillis, (now) =>
            awaitLate(startedAt, now + laneSettings.lateRunWindowMillis).pipe(Effect.ignore),
          ),
    ),
  )
})
