/**
 * How the GitHub simulator answers `workflow_dispatch`, per mode: with the run at once
 * (`run-details`), or `204` and the run some time later (`no-run-details`, `ghes`); with a fault
 * before or after the work; and the record of every call, for the rig's ground truth.
 */
import { Duration, Either, Option } from "effect"
import type { RunId } from "../../../domain/RunId.js"
import {
  type Dispatched,
  type DispatchRequest,
  GatewayError,
  type GatewayFailureReason,
} from "../../../ports/WorkflowRunsGateway.js"
import { type Faults, failCall, type MutableCallCounts } from "./Faults.js"
import { notFound, type RunLifecycle, salt } from "./RunLifecycle.js"
import { type RunCreation, wholeSeconds } from "./SimulatedRun.js"
import type { DelayRange, DispatchRecord, SimulatorMode } from "./SimulatorOptions.js"
import { unitInterval } from "./SimulatorRandom.js"

interface MutableDispatchRecord {
  readonly request: DispatchRequest
  readonly at: number
  runId: Option.Option<RunId>
  failure: Option.Option<GatewayFailureReason>
}

const isDelayRange = (delay: Duration.DurationInput | DelayRange): delay is DelayRange =>
  typeof delay === "object" && delay !== null && "min" in delay && "max" in delay

/** The delay of the `sequence`-th draw: fixed, or from the range as `DelayRange` says. */
const delayDrawer = (delay: Duration.DurationInput | DelayRange, seed: number) => {
  if (!isDelayRange(delay)) {
    const fixed = Duration.toMillis(delay)
    return (_sequence: number) => fixed
  }
  const min = Duration.toMillis(delay.min)
  const max = Duration.toMillis(delay.max)
  const tail =
    delay.tail === undefined ? undefined : { ...delay.tail, max: Duration.toMillis(delay.tail.max) }
  return (sequence: number) => {
    const spread = unitInterval(seed, salt.creationDelay, sequence)
    return tail !== undefined && unitInterval(seed, salt.creationTail, sequence) < tail.probability
      ? Math.round(max + (tail.max - max) * spread)
      : Math.round(min + (max - min) * spread)
  }
}

const branchOf = (ref: string) => ref.replace(/^refs\/(heads|tags)\//, "")

export interface DispatchSettings {
  readonly mode: SimulatorMode
  readonly seed: number
  readonly runCreationDelay: Duration.DurationInput | DelayRange
  /** The login of dispatched runs. */
  readonly actor: string
  readonly apiUrl: string
}

export const makeDispatchAnswers = (
  settings: DispatchSettings,
  lifecycle: RunLifecycle,
  faults: Faults,
  counts: MutableCallCounts,
) => {
  const { mode, actor, apiUrl } = settings
  const runCreationDelay = delayDrawer(settings.runCreationDelay, settings.seed)
  const dispatches: Array<MutableDispatchRecord> = []

  /** The server's part of a dispatch: refuse it, or create its run (now, or after the creation delay). */
  const accept = (
    request: DispatchRequest,
    record: MutableDispatchRecord,
    now: number,
  ): Either.Either<Dispatched, GatewayError> => {
    const workflow = lifecycle.findWorkflow(request.repository, request.workflow)
    if (workflow === undefined) {
      return Either.left(
        notFound("dispatch", `no workflow ${request.workflow} in ${request.repository} (simulated)`),
      )
    }
    if (workflow.declaredInputs !== undefined) {
      const declared = workflow.declaredInputs
      const unexpected = Object.keys(request.inputs).filter((input) => !declared.has(input))
      if (unexpected.length > 0) {
        return Either.left(
          new GatewayError({
            reason: "InvalidInputs",
            operation: "dispatch",
            status: 422,
            detail: `Unexpected inputs provided: ${JSON.stringify(unexpected)}`,
          }),
        )
      }
    }
    if (mode === "ghes") counts.rejectedRunDetails += 1
    const refName = branchOf(request.ref)
    const creation: RunCreation = {
      workflow,
      event: "workflow_dispatch",
      headBranch: refName,
      actor,
      displayTitle: lifecycle.titleOf(workflow, request.inputs, {
        actor,
        refName,
        event: "workflow_dispatch",
      }),
    }
    const serverTime = wholeSeconds(now)
    if (mode === "run-details") {
      const run = lifecycle.createRun(creation, now)
      record.runId = Option.some(run.id)
      return Either.right({
        runId: Option.some(run.id),
        runUrl: Option.some(`${apiUrl}/repos/${workflow.repository}/actions/runs/${run.id}`),
        htmlUrl: Option.some(lifecycle.htmlUrlOf(run)),
        serverTime,
      })
    }
    lifecycle.createAt(now + runCreationDelay(counts.dispatch), creation, (run) => {
      record.runId = Option.some(run.id)
    })
    return Either.right({ runId: Option.none(), runUrl: Option.none(), htmlUrl: Option.none(), serverTime })
  }

  const dispatchAt = (request: DispatchRequest, now: number): Either.Either<Dispatched, GatewayError> => {
    lifecycle.advance(now)
    counts.dispatch += 1
    const record: MutableDispatchRecord = { request, at: now, runId: Option.none(), failure: Option.none() }
    dispatches.push(record)
    const failWith = (error: GatewayError) => {
      record.failure = Option.some(error.reason)
      return failCall<Dispatched>(counts, error)
    }
    const fault = faults.take("dispatch")
    if (fault !== undefined && fault.kind !== "timeout-after-create") {
      return failWith(faults.errorOf(fault, "dispatch", now))
    }
    const accepted = accept(request, record, now)
    // The server did its part, whatever it was; only the answer is lost.
    if (fault !== undefined) return failWith(faults.errorOf(fault, "dispatch", now))
    return Either.isLeft(accepted) ? failWith(accepted.left) : accepted
  }

  /** Every dispatch call so far, in arrival order, as it stands at `now`. */
  const recordsAt = (now: number): ReadonlyArray<DispatchRecord> => {
    lifecycle.advance(now)
    return dispatches.map((record) => ({ ...record }))
  }

  return { dispatchAt, recordsAt }
}
