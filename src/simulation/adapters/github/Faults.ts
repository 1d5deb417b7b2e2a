/**
 * The GitHub simulator's faults: which call fails (counted faults first, in the order injected, then
 * seeded probabilities) and the error GitHub would have answered; and the count of calls answered.
 */
import { Either } from "effect"
import { GatewayError } from "../../../ports/WorkflowRunsGateway.js"
import { salt } from "./RunLifecycle.js"
import type { CallCounts, FaultSpec } from "./SimulatorOptions.js"
import { pickWeighted, unitInterval } from "./SimulatorRandom.js"

export type CallOperation = "dispatch" | "list" | "get"

const operationNames: Record<CallOperation, string> = {
  dispatch: "dispatch",
  list: "listRuns",
  get: "getRun",
}

interface CountedFault {
  readonly spec: FaultSpec
  remaining: number
}

/** The gateway calls answered so far; every part of the simulator counts its own. */
export type MutableCallCounts = { -readonly [Key in keyof CallCounts]: CallCounts[Key] }

export const emptyCallCounts = (): MutableCallCounts => ({
  dispatch: 0,
  listPages: 0,
  get: 0,
  failed: 0,
  rejectedRunDetails: 0,
})

/** A failed call, counted. */
export const failCall = <A>(
  counts: MutableCallCounts,
  error: GatewayError,
): Either.Either<A, GatewayError> => {
  counts.failed += 1
  return Either.left(error)
}

export interface FaultSettings {
  readonly seed: number
  /** A rate-limit fault's `resetAt` is the call's time plus this (ms), up to the next whole second. */
  readonly rateLimitReset: number
}

export const makeFaults = ({ seed, rateLimitReset }: FaultSettings) => {
  let calls = 0
  let countedFaults: Array<CountedFault> = []
  let probableFaults: Array<FaultSpec & { readonly probability: number }> = []

  /** The fault for this call, if any: counted ones first, then each probability drawn for this call. */
  const take = (operation: CallOperation): FaultSpec | undefined => {
    calls += 1
    const matches = (spec: FaultSpec) => spec.operation === "any" || spec.operation === operation
    const counted = countedFaults.findIndex((fault) => matches(fault.spec))
    if (counted >= 0) {
      const fault = countedFaults[counted]!
      fault.remaining -= 1
      if (fault.remaining <= 0) countedFaults.splice(counted, 1)
      return fault.spec
    }
    return probableFaults.find(
      (spec, position) => matches(spec) && unitInterval(seed, salt.fault, calls, position) < spec.probability,
    )
  }

  /** What GitHub answers for `fault` on the current call at `now`. */
  const errorOf = (fault: FaultSpec, operation: CallOperation, now: number) => {
    const draw = unitInterval(seed, salt.status, calls)
    switch (fault.kind) {
      case "server-error": {
        const status =
          fault.status ??
          pickWeighted(
            [500, 502, 503].map((code) => [code, 1] as const),
            draw,
          )
        return new GatewayError({
          reason: "Unavailable",
          operation: operationNames[operation],
          status,
          detail: `the simulated server answered ${status}`,
        })
      }
      case "rate-limit": {
        const status =
          fault.status ??
          pickWeighted(
            [403, 429].map((code) => [code, 1] as const),
            draw,
          )
        return new GatewayError({
          reason: "RateLimited",
          operation: operationNames[operation],
          status,
          resetAt: Math.ceil((now + rateLimitReset) / 1000) * 1000,
          detail: "API rate limit exceeded (simulated)",
        })
      }
      case "timeout-after-create":
        return new GatewayError({
          reason: "Unavailable",
          operation: operationNames[operation],
          detail: "no answer from the simulated server before the timeout",
        })
    }
  }

  const add = (faults: ReadonlyArray<FaultSpec>) => {
    for (const fault of faults) {
      if ("count" in fault) {
        if (fault.count > 0) countedFaults.push({ spec: fault, remaining: fault.count })
      } else {
        probableFaults.push(fault)
      }
    }
  }

  const clear = () => {
    countedFaults = []
    probableFaults = []
  }

  return { take, errorOf, add, clear }
}

export type Faults = ReturnType<typeof makeFaults>
