import type { Attempt, RequestDocument } from "./RequestDocument.js"
import type { RequestId } from "./RequestId.js"
import type { RunId } from "./RunId.js"
import { type WorkflowKind, workflowKinds } from "./WorkflowKind.js"

/** The six properties a simulation checks; each counts its violations. */
export const invariantNames = [
  "duplicateClaims",
  "swappedRuns",
  "stateMismatches",
  "wrongRequestPatches",
  "lostDeliveries",
  "stuckAttempts",
] as const
export type InvariantName = (typeof invariantNames)[number]

export type InvariantCounts = Readonly<Record<InvariantName, number>>

/** What GitHub holds for a run at the end of a simulation. */
export interface RunState {
  readonly status: string
  readonly conclusion: string | null
  readonly runAttempt: number
}

/** What the simulated world knows to be true, for the checker to compare the stores against. */
export interface GroundTruth {
  /**
   * The run the dispatch behind this attempt created: `null` when that dispatch created none,
   * `undefined` when no dispatch is known for the attempt.
   */
  readonly ownRun: (requestId: RequestId, kind: WorkflowKind, attempt: number) => RunId | null | undefined
  /** Whether the attempt was entitled to its own run: its run id came from GitHub, or a token was required. */
  readonly guaranteed: (requestId: RequestId, kind: WorkflowKind, attempt: number) => boolean
  /** GitHub's state of a run; `undefined` for a run GitHub does not have. */
  readonly run: (runId: RunId) => RunState | undefined
  /** The request the run index names for a run at the end. */
  readonly indexOwner: (kind: WorkflowKind, runId: RunId) => RequestId | undefined
}

/** One attempt changed by a webhook delivery or by reconcile, as observed at the store. */
export interface ObservedPatch {
  readonly requestId: RequestId
  readonly kind: WorkflowKind
  readonly attempt: number
  /** The run the attempt holds after the change. */
  readonly runId: RunId | undefined
}

/** The first few violations of each invariant, described, for a reader to follow up. */
export type InvariantExamples = Readonly<Record<InvariantName, ReadonlyArray<string>>>

export interface InvariantResult {
  /** Every violation found. */
  readonly violations: InvariantCounts
  /** The violations that fail the run (`swappedRuns` only where the attempt was entitled to its run). */
  readonly failing: InvariantCounts
  readonly examples: InvariantExamples
}

const examplesKept = 5

const zero = (): Record<InvariantName, number> =>
  Object.fromEntries(invariantNames.map((name) => [name, 0])) as Record<InvariantName, number>

const statusOf = (attempt: Attempt) => attempt.status
const sameState = (attempt: Attempt, run: RunState) =>
  statusOf(attempt) === run.status &&
  (attempt.conclusion ?? null) === run.conclusion &&
  (attempt.runAttempt ?? 1) === run.runAttempt

/**
 * Checks a simulation's end state, fed one fact at a time so a run of any size is checked in one
 * pass over its documents, patches and deliveries, holding only a map of run holders.
 */
export const makeInvariantChecker = (truth: GroundTruth) => {
  const violations = zero()
  const failing = zero()
  const examples = Object.fromEntries(invariantNames.map((name) => [name, [] as Array<string>])) as Record<
    InvariantName,
    Array<string>
  >
  const holders = new Map<string, RequestId>()

  const violate = (name: InvariantName, fails: boolean, example: () => string) => {
    violations[name] += 1
    if (fails) failing[name] += 1
    if (examples[name].length < examplesKept) examples[name].push(example())
  }

  const checkAttempt = (requestId: RequestId, kind: WorkflowKind, attempt: Attempt) => {
    const where = `${requestId} ${kind} attempt ${attempt.attempt}`
    const runId = attempt.runId
    if (runId === undefined) {
      if (attempt.status !== "completed" && attempt.dispatchError === undefined) {
        violate("stuckAttempts", true, () => `${where} is ${attempt.status} with no run and no note`)
      }
      return
    }
    const key = `${kind}/${runId}`
    const holder = holders.get(key)
    if (holder === undefined) holders.set(key, requestId)
    else if (holder !== requestId) {
      violate("duplicateClaims", true, () => `${kind} run ${runId} is held by ${holder} and ${requestId}`)
    }
    const own = truth.ownRun(requestId, kind, attempt.attempt)
    if (own !== undefined && own !== runId) {
      violate(
        "swappedRuns",
        truth.guaranteed(requestId, kind, attempt.attempt),
        () => `${where} holds run ${runId}; its dispatch created ${own ?? "no run"}`,
      )
    }
    const run = truth.run(runId)
    if (run === undefined || !sameState(attempt, run)) {
      violate(
        "stateMismatches",
        true,
        () =>
          `${where} (run ${runId}) is ${attempt.status}/${attempt.conclusion ?? null}/${attempt.runAttempt ?? 1}; GitHub has ${run === undefined ? "no such run" : `${run.status}/${run.conclusion}/${run.runAttempt}`}`,
      )
    }
  }

  return {
    /** Every attempt of a request document at the end. */
    addDocument: (requestId: RequestId, document: RequestDocument) => {
      for (const kind of workflowKinds) {
        for (const attempt of document.runs[kind]?.attempts ?? []) checkAttempt(requestId, kind, attempt)
      }
    },
    /** An attempt a delivery (or reconcile) changed: it must belong to the request that owns its run. */
    addPatch: (patch: ObservedPatch) => {
      const owner = patch.runId === undefined ? undefined : truth.indexOwner(patch.kind, patch.runId)
      if (owner !== patch.requestId) {
        violate(
          "wrongRequestPatches",
          true,
          () =>
            `${patch.requestId} ${patch.kind} attempt ${patch.attempt} was patched for run ${patch.runId ?? "none"}, owned by ${owner ?? "nobody"}`,
        )
      }
    },
    /** A delivery sent to the service: by the end it must be recorded as processed or be parked. */
    addDelivery: (deliveryId: string, processedOrParked: boolean) => {
      if (!processedOrParked) {
        violate("lostDeliveries", true, () => `delivery ${deliveryId} is neither processed nor parked`)
      }
    },
    result: (): InvariantResult => ({ violations: { ...violations }, failing: { ...failing }, examples }),
  }
}
