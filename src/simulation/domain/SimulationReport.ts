import type { InvariantCounts, InvariantExamples } from "./SimulationInvariants.js"

export const simulationModes = ["run-details", "no-run-details", "ghes"] as const
export type SimulationMode = (typeof simulationModes)[number]

export const faultLevels = ["none", "light", "heavy"] as const
export type FaultLevel = (typeof faultLevels)[number]

/** `claim` is the service's algorithm; `check-then-put` the earlier one, a baseline for comparison only. */
export const strategies = ["claim", "check-then-put"] as const
export type Strategy = (typeof strategies)[number]

export const storeKinds = ["memory", "directory", "s3"] as const
export type StoreKind = (typeof storeKinds)[number]

/** What a simulation was asked to do. */
export interface SimulationSettings {
  readonly requests: number
  readonly concurrency: number
  readonly seed: number
  readonly mode: SimulationMode
  /** Workflows render the request id in `run-name`, and dispatches accept only runs that carry it. */
  readonly token: boolean
  readonly faults: FaultLevel
  readonly strategy: Strategy
  readonly store: StoreKind
  /** Dispatcher-and-webhook instances, each with its own in-process state, on the one store. */
  readonly instances: number
  /**
   * Dispatches that cannot be told their run hold a dispatch lane; `false` is an ablation (lanes
   * that never wait), to show what lanes buy.
   */
  readonly lanes: boolean
  /**
   * The chance per burst that someone else dispatches the workflow with our identity, without lanes:
   * the ambiguity that nothing on our side can resolve without run details or a token.
   */
  readonly foreignDispatches: number
}

/** What one instance did. */
export interface InstanceFigures {
  readonly dispatches: number
  /** Delivery posts it received. */
  readonly posts: number
  /** Store operations by its dispatcher and its webhook service. */
  readonly storeOperations: number
}

/** p50, p95 and max of a sample; `null` when it is empty. */
export interface Spread {
  readonly p50: number | null
  readonly p95: number | null
  readonly max: number | null
}

/** Counts per equal-width bucket from zero: bucket `i` holds values in [i·width, (i+1)·width). */
export interface Histogram {
  readonly width: number
  readonly counts: ReadonlyArray<number>
}

/** A simulation's figures. Apart from `wallClock`, the same settings give the same report. */
export interface SimulationReport {
  readonly settings: SimulationSettings
  readonly simulatedSeconds: number
  readonly dispatches: {
    readonly total: number
    readonly resolved: number
    /** Left without a run, with a note on the attempt (no run found within the polls). */
    readonly unresolved: number
    /** GitHub refused the dispatch; the attempt is marked `dispatch_failed`. */
    readonly refused: number
    /** The dispatch program failed otherwise (a store outage past its retries, a run conflict). */
    readonly errors: Readonly<Record<string, number>>
    readonly secondAttempts: number
    readonly reruns: number
    readonly noiseRuns: number
    /** Runs dispatched with our identity by no request (`foreignDispatches`). */
    readonly foreignRuns: number
  }
  /** Simulated seconds from dispatch to a claimed run id, over resolved dispatches. */
  readonly resolveSeconds: Spread
  readonly resolveHistogram: Histogram
  readonly github: {
    readonly calls: number
    readonly perDispatch: number
    readonly byOperation: Readonly<Record<string, number>>
    readonly failed: number
    /** How many dispatches made 1, 2, 3, … GitHub calls to learn their run. */
    readonly callsPerDispatch: Readonly<Record<string, number>>
  }
  readonly store: {
    /** Store operations by the dispatching client, per dispatch. */
    readonly perDispatch: number
    /** Store operations by the webhook service, per delivery posted. */
    readonly perDelivery: number
    /** Store operations per delivery, by how the delivery ended (`Patched`, `Unchanged`, `Duplicate`, …). */
    readonly perDeliveryByOutcome: Readonly<Record<string, number>>
    readonly operations: number
    readonly faultsInjected: number
  }
  readonly deliveries: {
    readonly events: number
    /** Distinct delivery ids. */
    readonly ids: number
    /** Every post, duplicates and redeliveries included. */
    readonly posts: number
    readonly byOutcome: Readonly<Record<string, number>>
    readonly redelivered: number
    readonly replayed: number
    readonly stillParked: number
  }
  readonly reconcile: {
    readonly checked: number
    readonly patched: number
    readonly unchanged: number
    readonly failed: Readonly<Record<string, number>>
  }
  readonly instances: ReadonlyArray<InstanceFigures>
  /** Judged against the simulated GitHub's record of which dispatch created which run. */
  readonly violations: InvariantCounts
  /** Every invariant holds: no violation at all. */
  readonly passed: boolean
  readonly examples: InvariantExamples
  readonly wallClock: { readonly seconds: number; readonly peakRssMegabytes: number }
}

/** The value at `fraction` of a sorted sample (nearest rank). */
export const percentile = (sorted: ReadonlyArray<number>, fraction: number): number | null =>
  sorted.length === 0
    ? null
    : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!

export const spreadOf = (values: ReadonlyArray<number>): Spread => {
  const sorted = [...values].sort((left, right) => left - right)
  return {
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    max: sorted.length === 0 ? null : sorted[sorted.length - 1]!,
  }
}

/** About `buckets` buckets of a round width covering every value. */
export const histogramOf = (values: ReadonlyArray<number>, buckets = 20): Histogram => {
  const max = values.reduce((high, value) => Math.max(high, value), 0)
  const rough = max / buckets
  const magnitude = 10 ** Math.floor(Math.log10(rough || 1))
  const width = [1, 2, 5, 10].map((step) => step * magnitude).find((step) => step >= rough) ?? rough
  const counts = Array.from({ length: Math.max(1, Math.floor(max / width) + 1) }, () => 0)
  for (const value of values) counts[Math.floor(value / width)]! += 1
  return { width, counts }
}

/** The report without its wall-clock figures: what must be equal for equal settings. */
export const deterministicPart = (report: SimulationReport): Omit<SimulationReport, "wallClock"> => {
  const { wallClock: _wallClock, ...rest } = report
  return rest
}
