/**
 * Which request attempt each dispatch call was for — the rig's half of the ground truth. GitHub's
 * half is the simulator's own record of every dispatch call and the run it created; joined, they
 * say which attempt's dispatch created which run, whatever the stores came to believe.
 *
 * A call is tied to the attempt the dispatcher last wrote for that request and kind when the call
 * reaches GitHub: a request's dispatches of one kind follow each other in the simulation, so that is
 * the attempt being dispatched, even when an earlier attempt never reached GitHub (its dispatch
 * failed before the call) or a later one reuses its number.
 */
import { Option, Schema } from "effect"
import type { RequestDocument } from "../../domain/RequestDocument.js"
import { RequestId } from "../../domain/RequestId.js"
import type { RunId } from "../../domain/RunId.js"
import { type WorkflowKind, workflowKinds } from "../../domain/WorkflowKind.js"
import type { DispatchRecord } from "../adapters/github/GitHubSimulator.js"
import type { RunCreator } from "../domain/SimulationInvariants.js"

const decodeRequestId = Schema.decodeUnknownOption(RequestId)

const keyOf = (requestId: string, kind: WorkflowKind) => `${requestId}/${kind}`

export class DispatchLedger {
  private readonly latestAttempt = new Map<string, number>()
  /** Per request and kind, the attempt of each call that reached GitHub, in arrival order. */
  private readonly calls = new Map<string, Array<number | undefined>>()

  /** A dispatcher wrote the request's document: remember its current attempt of each kind. */
  noteWritten(requestId: RequestId, document: RequestDocument): void {
    for (const kind of workflowKinds) {
      const current = document.runs[kind]?.currentAttempt
      if (current !== undefined && current > 0) this.latestAttempt.set(keyOf(requestId, kind), current)
    }
  }

  /** A dispatch call for the request's kind is reaching GitHub now. */
  noteCall(requestId: string, kind: WorkflowKind): void {
    const key = keyOf(requestId, kind)
    const calls = this.calls.get(key) ?? []
    calls.push(this.latestAttempt.get(key))
    this.calls.set(key, calls)
  }

  /**
   * The attempt that created each run, from the simulator's dispatch records (arrival order): the
   * n-th record of a request's kind is its n-th call. Records GitHub refused created no run.
   */
  creators(
    records: ReadonlyArray<DispatchRecord>,
    kindOf: (workflow: string) => WorkflowKind | undefined,
  ): ReadonlyMap<RunId, RunCreator> {
    const creators = new Map<RunId, RunCreator>()
    const seen = new Map<string, number>()
    for (const record of records) {
      const kind = kindOf(record.request.workflow)
      const requestId = decodeRequestId(record.request.inputs.request_id)
      if (kind === undefined || Option.isNone(requestId)) continue
      const key = keyOf(requestId.value, kind)
      const position = seen.get(key) ?? 0
      seen.set(key, position + 1)
      const attempt = this.calls.get(key)?.[position]
      if (attempt === undefined || Option.isNone(record.runId)) continue
      creators.set(record.runId.value, { requestId: requestId.value, kind, attempt })
    }
    return creators
  }
}
