import { Context, Data, type Effect, type Option } from "effect"
import type { Lane, LaneHolder, LaneRecord } from "../domain/DispatchLane.js"
import { laneName } from "../domain/DispatchLane.js"
import type { RequestId } from "../domain/RequestId.js"
import type { RunId } from "../domain/RunId.js"
import type { WorkflowKind } from "../domain/WorkflowKind.js"
import type { StoreError } from "./StoreError.js"

/** Who asks for a lane: the attempt about to be dispatched, and the identity that dispatches it. */
export interface LaneClaimant {
  readonly requestId: RequestId
  readonly kind: WorkflowKind
  readonly attempt: number
  readonly actor: string
}

/** A hold on a lane, as its holder knows it. */
export interface LaneLease {
  readonly lane: Lane
  readonly holder: LaneHolder
  /** The record as the holder wrote it: what the lane had learned when it was taken. */
  readonly record: LaneRecord
}

/** The lane stayed held by others for longer than the caller may wait; nothing was dispatched. */
export class LaneBusy extends Data.TaggedError("LaneBusy")<{
  readonly lane: Lane
  readonly waitedMillis: number
  readonly holder: LaneHolder | null
}> {
  override get message(): string {
    const by =
      this.holder === null
        ? ""
        : ` by ${this.holder.requestId} (${this.holder.kind} attempt ${this.holder.attempt}${this.holder.awaiting ? ", awaiting its run" : ""})`
    return `dispatch lane ${laneName(this.lane)} stayed held${by} for ${Math.round(this.waitedMillis / 1000)} s`
  }
}

/** What a release or settle did. */
export type LaneRelease = Data.TaggedEnum<{
  /** The hold was this one's and has ended. */
  Released: {}
  /** The lane was not (or no longer) held with this token: nothing was written. */
  NotHolder: { readonly holder: LaneHolder | null }
}>
export const LaneRelease = Data.taggedEnum<LaneRelease>()

/** How long holds last, how long a dispatch waits for its late run, and how long one waits for a lane. */
export class LaneSettings extends Context.Reference<LaneSettings>()("run-index/LaneSettings", {
  defaultValue: (): {
    /** A hold's lifetime: a holder that crashed frees its lane after this. */
    readonly holdMillis: number
    /** After its polls end, how long a dispatch keeps its lane for a late run (from GitHub's dispatch time). */
    readonly lateRunWindowMillis: number
    /** How long `acquire` waits for a lane held by others before failing with `LaneBusy`. */
    readonly waitMillis: number
  } => ({ holdMillis: 120_000, lateRunWindowMillis: 120_000, waitMillis: 900_000 }),
}) {}

/**
 * Dispatch lanes: one lease object per (repository, workflow, branch) in the store, outside the
 * index prefix. A dispatch that cannot be told its run holds its lane from just before the dispatch
 * until its run is claimed, so that, across every process on the store, one dispatch at a time is
 * unresolved on a lane.
 */
export class DispatchLanes extends Context.Tag("run-index/DispatchLanes")<
  DispatchLanes,
  {
    /**
     * Takes the lane for the claimant, waiting as long as `LaneSettings.waitMillis`: first behind this
     * process's earlier callers (first come, first served, without touching the store), then, while
     * another process holds it, with jittered backoff on the store. A stale hold is taken over with
     * compare-and-set. Exactly one caller holds a lane at a time. Interrupting the wait leaves nothing.
     */
    readonly acquire: (lane: Lane, claimant: LaneClaimant) => Effect.Effect<LaneLease, StoreError | LaneBusy>
    /**
     * Extends the hold to `until` (compare-and-set). `None` when the hold was lost meanwhile (taken over
     * as stale, or settled): the caller no longer holds the lane and must not claim runs for it.
     */
    readonly renew: (lease: LaneLease, until: number) => Effect.Effect<Option.Option<LaneLease>, StoreError>
    /**
     * The holder's polls ended without its run: the hold stays, marked awaiting, until `until`, so a
     * late run goes to it (webhook or reconcile) and no other dispatch starts on the lane before that.
     * Frees this process's queue. `NotHolder` when the hold had already ended or been taken over.
     */
    readonly awaitRun: (
      lease: LaneLease,
      wait: { readonly dispatchedAt: number; readonly until: number },
    ) => Effect.Effect<LaneRelease, StoreError>
    /**
     * Ends the hold, recording the run the dispatch got (or `null`) and whether its title showed the
     * request id. Refused (`NotHolder`, nothing written) when the lane is no longer held with this
     * lease's token. Always frees this process's queue.
     */
    readonly release: (
      lease: LaneLease,
      outcome: { readonly runId: RunId | null; readonly rendersRequestId: boolean },
    ) => Effect.Effect<LaneRelease, StoreError>
    /** The lane's record: one read. `None` when no dispatch ever held it (or its record is unreadable). */
    readonly read: (lane: Lane) => Effect.Effect<Option.Option<LaneRecord>, StoreError>
    /**
     * Ends the hold named `token` on behalf of its holder, whose run was found elsewhere (a webhook or
     * reconcile claimed it): as `release`, refused when the lane is not held with that token.
     */
    readonly settle: (
      lane: Lane,
      token: string,
      outcome: { readonly runId: RunId | null; readonly rendersRequestId: boolean },
    ) => Effect.Effect<LaneRelease, StoreError>
  }
>() {}
