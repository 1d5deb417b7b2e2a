import { Data, Effect, Option, Stream } from "effect"
import { type CandidateCriteria, selectCandidates } from "../domain/CandidateSelection.js"
import type { RunId } from "../domain/RunId.js"
import type { WorkflowRun } from "../domain/WorkflowRun.js"
import { type RunFilter, WorkflowRunsGateway } from "../ports/WorkflowRunsGateway.js"
import type { LaneHold } from "./DispatchLaneHold.js"
import {
  type DispatchRunInput,
  type DispatchRunOptions,
  type DispatchStep,
  firstLook,
  resolutionPolls,
} from "./DispatchRunContract.js"
import { retryTransient } from "./RequestUpdates.js"
import { claimRun } from "./RunIndex.js"

class NoRunYet extends Data.TaggedError("NoRunYet")<{}> {}

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
 * Looks for the run of a dispatch GitHub did not name: after `firstLook`, lists the runs `filter`
 * asks for, keeps the candidates `criteria` accepts that are not in `skip`, and claims the first
 * one no other request owns — again on each of `polls` while none can be had or GitHub fails.
 * `None` when the looks end without a run, GitHub stays unavailable, or the lane's hold is lost.
 */
export const findDispatchedRun = (
  input: DispatchRunInput,
  search: {
    readonly filter: RunFilter
    readonly criteria: CandidateCriteria
    /** Runs the lane's earlier dispatches got: claimed already, never worth a store call. */
    readonly skip: ReadonlySet<RunId>
    readonly hold: Pick<LaneHold, "keepHold">
    readonly progress: (step: DispatchStep) => Effect.Effect<void>
  },
  options: DispatchRunOptions,
) =>
  Effect.gen(function* () {
    const gateway = yield* WorkflowRunsGateway
    let looks = 0
    const lookOnce = Effect.gen(function* () {
      looks += 1
      yield* search.progress({ _tag: "LookingForRun", look: looks })
      const runs = yield* gateway.listRuns(search.filter).pipe(Stream.runCollect)
      const candidates = selectCandidates(runs, search.criteria).filter((run) => !search.skip.has(run.id))
      if (candidates.length === 0) return yield* new NoRunYet()
      yield* search.hold.keepHold
      return yield* claimFirst(input, candidates)
    })
    yield* Effect.sleep(options.firstLook ?? firstLook)
    return yield* lookOnce.pipe(
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
  })
