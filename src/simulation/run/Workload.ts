import { Schema } from "effect"
import { RequestId } from "../../domain/RequestId.js"
import type { WorkflowKind } from "../../domain/WorkflowKind.js"
import type { NoiseEvent } from "../adapters/github/GitHubSimulator.js"
import { pickWeighted, unitInterval } from "../adapters/github/SimulatorRandom.js"
import type { FaultLevel } from "../domain/SimulationReport.js"

/** Salts keep the workload's draws independent of each other and of the simulator's. */
const salt = {
  burstSize: 101,
  burstGap: 102,
  kind: 103,
  ref: 104,
  spacing: 105,
  secondAttempt: 106,
  rerun: 107,
  noise: 108,
  noiseEvent: 109,
  copies: 110,
  sameId: 111,
  delay: 112,
  delaySpread: 113,
  foreign: 114,
  foreignAfter: 115,
  instance: 116,
} as const

export const workflowFiles: Readonly<Record<WorkflowKind, string>> = {
  plan: "plan.yml",
  apply: "apply.yml",
  destroy: "destroy.yml",
  cleanup: "cleanup.yml",
  drift_plan: "drift_plan.yml",
}

export const workflowNames: Readonly<Record<WorkflowKind, string>> = {
  plan: "Plan",
  apply: "Apply",
  destroy: "Destroy",
  cleanup: "Cleanup",
  drift_plan: "Drift plan",
}

const kindWeights: ReadonlyArray<readonly [WorkflowKind, number]> = [
  ["plan", 30],
  ["apply", 25],
  ["destroy", 15],
  ["cleanup", 10],
  ["drift_plan", 20],
]
const refWeights: ReadonlyArray<readonly [string, number]> = [
  ["main", 70],
  ["release", 20],
  ["feature/network", 10],
]
const burstSizes: ReadonlyArray<readonly [number, number]> = [
  [1, 40],
  [2, 25],
  [3, 15],
  [4, 10],
  [6, 10],
]
const noiseEvents: ReadonlyArray<readonly [NoiseEvent, number]> = [
  ["workflow_dispatch", 2],
  ["push", 1],
  ["schedule", 1],
]

/** One request of the workload: what it dispatches, where, when, and what happens to it later. */
export interface PlannedRequest {
  readonly index: number
  readonly requestId: RequestId
  readonly kind: WorkflowKind
  readonly ref: string
  /** Simulated ms after the start at which it arrives (it waits for a free slot when all are busy). */
  readonly at: number
  /** Dispatched again for the same kind, 40 s after the first dispatch finished. */
  readonly secondAttempt: boolean
  /** Its first run is re-run once it completed (as a user clicking "Re-run"). */
  readonly rerun: boolean
}

/** Back-to-back dispatches of one workflow on one ref, and perhaps a run someone else started there. */
export interface PlannedBurst {
  readonly at: number
  readonly kind: WorkflowKind
  readonly ref: string
  readonly requests: ReadonlyArray<PlannedRequest>
  readonly noise: NoiseEvent | undefined
  /**
   * Milliseconds after the burst starts at which someone else dispatches the workflow on the ref with
   * our own identity (no request of ours asked for that run); `undefined` for most bursts.
   */
  readonly foreignAfterMillis: number | undefined
}

export interface WorkloadOptions {
  /** The chance per burst of a foreign dispatch with our identity (default 0). */
  readonly foreignDispatches?: number
}

/** Where a foreign dispatch falls: within the burst's own dispatches and their runs' creation. */
const foreignWithinMillis = 5_000

const makeRequestId = Schema.decodeSync(RequestId)

/**
 * The requests of a simulation, in bursts, lazily: the same seed gives the same bursts. About 8
 * requests arrive per simulated second; a burst is 1 to 6 dispatches of one workflow on one ref,
 * 0–150 ms apart.
 */
export function* planWorkload(
  requests: number,
  seed: number,
  options: WorkloadOptions = {},
): Generator<PlannedBurst> {
  const foreignDispatches = options.foreignDispatches ?? 0
  let index = 0
  let at = 0
  for (let burst = 0; index < requests; burst++) {
    const size = Math.min(
      requests - index,
      pickWeighted(burstSizes, unitInterval(seed, salt.burstSize, burst)),
    )
    const kind = pickWeighted(kindWeights, unitInterval(seed, salt.kind, burst))
    const ref = pickWeighted(refWeights, unitInterval(seed, salt.ref, burst))
    const members: Array<PlannedRequest> = []
    let offset = at
    for (let member = 0; member < size; member++, index++) {
      members.push({
        index,
        requestId: makeRequestId(`req_sim_${index}`),
        kind,
        ref,
        at: offset,
        secondAttempt: unitInterval(seed, salt.secondAttempt, index) < 0.08,
        rerun: unitInterval(seed, salt.rerun, index) < 0.05,
      })
      offset += Math.floor(unitInterval(seed, salt.spacing, index) * 150)
    }
    const noisy = unitInterval(seed, salt.noise, burst) < 0.12
    yield {
      at,
      kind,
      ref,
      requests: members,
      noise: noisy ? pickWeighted(noiseEvents, unitInterval(seed, salt.noiseEvent, burst)) : undefined,
      foreignAfterMillis:
        unitInterval(seed, salt.foreign, burst) < foreignDispatches
          ? Math.floor(unitInterval(seed, salt.foreignAfter, burst) * foreignWithinMillis)
          : undefined,
    }
    at += Math.floor(unitInterval(seed, salt.burstGap, burst) * 600)
  }
}

/** One post of a delivery: its id, and how long after the event it reaches the service. */
export interface PlannedPost {
  readonly deliveryId: string
  readonly delayMillis: number
}

/**
 * How GitHub delivers the `sequence`-th event: one post after a delay, sometimes a second one —
 * a redelivery with the same id, or the event sent again under a new id. Heavy faults mean longer
 * delays and more duplicates. Delays are drawn independently, so events overtake each other.
 */
export const planPosts = (sequence: number, seed: number, faults: FaultLevel): ReadonlyArray<PlannedPost> => {
  const heavy = faults === "heavy"
  const delay = (copy: number) => {
    const tier = unitInterval(seed, salt.delay, sequence, copy)
    const spread = unitInterval(seed, salt.delaySpread, sequence, copy)
    const [low, high] = heavy
      ? tier < 0.5
        ? [100, 5_000]
        : tier < 0.85
          ? [5_000, 60_000]
          : [60_000, 600_000]
      : tier < 0.7
        ? [100, 2_000]
        : tier < 0.95
          ? [2_000, 20_000]
          : [20_000, 120_000]
    return Math.round(low + (high - low) * spread)
  }
  const first = { deliveryId: `sim-${sequence}`, delayMillis: delay(0) }
  if (unitInterval(seed, salt.copies, sequence) >= (heavy ? 0.25 : 0.1)) return [first]
  const sameId = unitInterval(seed, salt.sameId, sequence) < 0.5
  return [first, { deliveryId: sameId ? first.deliveryId : `sim-${sequence}-again`, delayMillis: delay(1) }]
}

/**
 * Which of `instances` handles a piece of work (a dispatch, a delivery post), drawn from the seed and
 * what the work is, so the same seed spreads the same work the same way.
 */
export const instanceFor = (instances: number, seed: number, ...work: ReadonlyArray<number>): number =>
  instances <= 1 ? 0 : Math.floor(unitInterval(seed, salt.instance, ...work) * instances)
