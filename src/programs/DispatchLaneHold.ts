import { Clock, Data, Effect, Option } from "effect"
import { titleCarriesToken } from "../domain/CandidateSelection.js"
import { emptyLaneRecord, laneOf } from "../domain/DispatchLane.js"
import type { RunId } from "../domain/RunId.js"
import { DispatchLanes, type LaneLease, LaneSettings } from "../ports/DispatchLanes.js"
import { failDispatchAttempt } from "./DispatchAttempt.js"
import type { DispatchRunInput, DispatchStep } from "./DispatchRunContract.js"
import { retryTransient } from "./RequestUpdates.js"

/** The hold on the lane ended under us (taken over as stale, or settled): stop claiming for it. */
export class LaneLost extends Data.TaggedError("LaneLost")<{}> {}

/**
 * Takes the dispatch lane of (repository, workflow, ref) for one attempt — unless the request
 * requires its token in the run's title, which names the run exactly with no lane — and says how
 * the hold ends: `end` frees it with the run found (or none), `awaitLate` keeps it until a late run
 * can no longer come. Whichever comes first ends it; the other does nothing. A lane that cannot be
 * taken fails the attempt, with the reason written on it.
 */
export const holdLane = (
  input: DispatchRunInput,
  attempt: number,
  actor: string,
  progress: (step: DispatchStep) => Effect.Effect<void>,
) =>
  Effect.gen(function* () {
    const lanes = yield* DispatchLanes
    const laneSettings = yield* LaneSettings
    const lane = laneOf(input.repository, input.workflow, input.ref)
    if (!input.requireToken) yield* progress({ _tag: "WaitingForLane" })
    const lease: Option.Option<LaneLease> = input.requireToken
      ? Option.none()
      : Option.some(
          yield* retryTransient(
            lanes.acquire(lane, { requestId: input.requestId, kind: input.kind, attempt, actor }),
          ).pipe(
            Effect.tapError((error) =>
              failDispatchAttempt(input, attempt, `not dispatched: ${error.message}`),
            ),
          ),
        )
    /** What the lane knows of its earlier dispatches (empty without a lane). */
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

    /** Keeps the hold alive while polls run long (rate limits): a lost hold stops the claiming. */
    const keepHold = Effect.gen(function* () {
      if (Option.isNone(held)) return
      const now = yield* Clock.currentTimeMillis
      if (held.value.holder.expiresAt - now > laneSettings.holdMillis / 2) return
      const renewed = yield* retryTransient(lanes.renew(held.value, now + laneSettings.holdMillis))
      if (Option.isNone(renewed)) return yield* new LaneLost()
      held = renewed
    })

    return { lane, learned, end, awaitLate, keepHold, lateRunWindowMillis: laneSettings.lateRunWindowMillis }
  })

export type LaneHold = Effect.Effect.Success<ReturnType<typeof holdLane>>
