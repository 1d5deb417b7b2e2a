import type { Attempt, RequestDocument } from "../../domain/RequestDocument.js"
import type { RequestId } from "../../domain/RequestId.js"
import type { RunId } from "../../domain/RunId.js"
import { type WorkflowKind, workflowKinds } from "../../domain/WorkflowKind.js"

/** The properties a simulation checks; each counts its violations, and any violation fails the run. */
export const invariantNames = [
  "duplicateClaims",
  "swappedRuns",
  "misattributedIndexEntries",
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

/** The request attempt whose dispatch call made GitHub create a run. */
export interface RunCreator {
  readonly requestId: RequestId
  readonly kind: WorkflowKind
  readonly attempt: number
}

/**
 * What really happened, from the simulated GitHub's own record — never from the stores, which hold
 * what the product believes.
 */
export interface GroundTruth {
  /**
   * The attempt whose dispatch created the run; `undefined` for a run no request dispatched (another
   * actor's, or one dispatched by someone else with our identity) and for a run GitHub does not have.
   */
  readonly creatorOf: (runId: RunId) => RunCreator | undefined
  /** GitHub's state of a run; `undefined` for a run GitHub does not have. */
  readonly run: (runId: RunId) => RunState | undefined
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
  /** Every violation found; the run passes only when all are zero. */
  readonly violations: InvariantCounts
  readonly examples: InvariantExamples
}

const examplesKept = 5

const zero = (): Record<InvariantName, number> =>
  Object.fromEntries(invariantNames.map((name) => [name, 0])) as Record<InvariantName, number>

const sameState = (attempt: Attempt, run: RunState) =>
  attempt.status === run.status &&
  (attempt.conclusion ?? null) === run.conclusion &&
  (attempt.runAttempt ?? 1) === run.runAttempt

const isCreator = (
  creator: RunCreator | undefined,
  requestId: RequestId,
  kind: WorkflowKind,
  attempt: number,
) =>
  creator !== undefined &&
  creator.requestId === requestId &&
  creator.kind === kind &&
  creator.attempt === attempt

const createdBy = (creator: RunCreator | undefined) =>
  creator === undefined
    ? "no request's dispatch"
    : `${creator.requestId} ${creator.kind} attempt ${creator.attempt}`

/**
 * Checks a simulation's end state, fed one fact at a time so a run of any size is checked in one
 * pass over its documents, index entries, patches and deliveries, holding only a map of run holders.
 */
export const makeInvariantChecker = (truth: GroundTruth) => {
  const violations = zero()
  const examples = Object.fromEntries(invariantNames.map((name) => [name, [] as Array<string>])) as Record<
    InvariantName,
    Array<string>
  >
  const holders = new Map<string, RequestId>()

  const violate = (name: InvariantName, example: () => string) => {
    violations[name] += 1
    if (examples[name].length < examplesKept) examples[name].push(example())
  }

  const checkAttempt = (requestId: RequestId, kind: WorkflowKind, attempt: Attempt) => {
    const where = `${requestId} ${kind} attempt ${attempt.attempt}`
    const runId = attempt.runId
    if (runId === undefined) {
      if (attempt.status !== "completed" && attempt.dispatchError === undefined) {
        violate("stuckAttempts", () => `${where} is ${attempt.status} with no run and no note`)
      }
      return
    }
    const key = `${kind}/${runId}`
    const holder = holders.get(key)
    if (holder === undefined) holders.set(key, requestId)
    else if (holder !== requestId) {
      violate("duplicateClaims", () => `${kind} run ${runId} is held by ${holder} and ${requestId}`)
    }
    const creator = truth.creatorOf(runId)
    if (!isCreator(creator, requestId, kind, attempt.attempt)) {
      violate("swappedRuns", () => `${where} holds run ${runId}, created by ${createdBy(creator)}`)
    }
    const run = truth.run(runId)
    if (run === undefined || !sameState(attempt, run)) {
      violate(
        "stateMismatches",
        () =>
          `${where} (run ${runId}) is ${attempt.status}/${attempt.conclusion ?? null}/${attempt.runAttempt ?? 1}; GitHub has ${run === undefined ? "no such run" : `${run.status}/${run.conclusion}/${run.runAttempt}`}`,
      )
    }
  }

  return {
    /** Every attempt of a request document at the end: it must hold only the run its own dispatch created. */
    addDocument: (requestId: RequestId, document: RequestDocument) => {
      for (const kind of workflowKinds) {
        for (const attempt of document.runs[kind]?.attempts ?? []) checkAttempt(requestId, kind, attempt)
      }
    },
    /** A valid index entry at the end: it must name the request whose dispatch of that kind created the run. */
    addIndexEntry: (kind: WorkflowKind, runId: RunId, requestId: RequestId) => {
      const creator = truth.creatorOf(runId)
      if (creator === undefined || creator.requestId !== requestId || creator.kind !== kind) {
        violate(
          "misattributedIndexEntries",
          () =>
            `the index gives ${kind} run ${runId} to ${requestId}; it was created by ${createdBy(creator)}`,
        )
      }
    },
    /** An attempt a delivery (or reconcile) changed: GitHub must have created its run for that very attempt. */
    addPatch: (patch: ObservedPatch) => {
      const creator = patch.runId === undefined ? undefined : truth.creatorOf(patch.runId)
      if (!isCreator(creator, patch.requestId, patch.kind, patch.attempt)) {
        violate(
          "wrongRequestPatches",
          () =>
            `${patch.requestId} ${patch.kind} attempt ${patch.attempt} was patched for run ${patch.runId ?? "none"}, created by ${createdBy(creator)}`,
        )
      }
    },
    /** A delivery sent to the service: by the end it must be recorded as processed or be parked. */
    addDelivery: (deliveryId: string, processedOrParked: boolean) => {
      if (!processedOrParked) {
        violate("lostDeliveries", () => `delivery ${deliveryId} is neither processed nor parked`)
      }
    },
    result: (): InvariantResult => ({ violations: { ...violations }, examples }),
  }
}
