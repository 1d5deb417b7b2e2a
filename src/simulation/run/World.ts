/**
 * The world a simulation runs in: where simulated time starts, how long the store and GitHub take,
 * how late GitHub creates runs, what each fault level injects, and the repository and workflows.
 */
import { Effect, Schema } from "effect"
import { workflowKinds } from "../../domain/WorkflowKind.js"
import { RepositoryName } from "../../domain/WorkflowRun.js"
import { DeliveryId } from "../../domain/WorkflowRunPayload.js"
import type * as GitHubSimulator from "../adapters/github/GitHubSimulator.js"
import type { FaultLevel } from "../domain/SimulationReport.js"
import { workflowFiles } from "./Workload.js"

/** Where simulated time starts: a fixed instant, so reports do not depend on when they were made. */
export const simulationEpoch = Date.UTC(2026, 2, 2)

export const repository = Schema.decodeSync(RepositoryName)("acme/infra")
export const makeDeliveryId = Schema.decodeSync(DeliveryId)

/** Simulated store latency; a real store (directory, S3) brings its own, so it gets none on top. */
export const storeLatency = { min: 5, max: 40 }
export const noLatency = { min: 0, max: 0 }
export const gitHubLatency = { min: 80, max: 400 }
/** From a dispatch to its run on GitHub (204 and GHES modes): mostly seconds, sometimes a minute. */
export const runCreationDelay: GitHubSimulator.DelayRange = {
  min: "300 millis",
  max: "6 seconds",
  tail: { probability: 0.02, max: "60 seconds" },
}
/** The login our dispatches run as; foreign dispatches use it too. */
export const ourActor = "run-index-bot"
/** Keeps each instance's seeded draws (store faults, latencies) apart from the others'. */
export const instanceSalt = 1000
/** After the last request: every run finishes and every delivery, however late, arrives. */
export const settleMillis = 20 * 60_000
export const secondAttemptAfterMillis = 40_000
/** Reads in flight while checking the end state (they matter on a real store). */
export const checkConcurrency = 16
export const rerunAfterMillis = 150_000
/** Heavy faults: the webhook service loses the request documents for 30 s every 4 minutes, from 20 s in. */
export const outage = { firstAfterMillis: 20_000, lastingMillis: 30_000, everyMillis: 240_000 } as const

export const storeFaultProbability: Readonly<Record<FaultLevel, number>> = {
  none: 0,
  light: 0.01,
  heavy: 0.05,
}

export const gitHubFaults = (level: FaultLevel): ReadonlyArray<GitHubSimulator.FaultSpec> =>
  level === "none"
    ? []
    : level === "light"
      ? [{ operation: "any", kind: "server-error", probability: 0.02 }]
      : [
          { operation: "any", kind: "server-error", probability: 0.05 },
          { operation: "list", kind: "rate-limit", probability: 0.02 },
          { operation: "get", kind: "rate-limit", probability: 0.02 },
          { operation: "dispatch", kind: "timeout-after-create", probability: 0.03 },
          { operation: "dispatch", kind: "rate-limit", probability: 0.01 },
        ]

export const kindOfWorkflow = new Map(workflowKinds.map((kind) => [workflowFiles[kind], kind] as const))

export const increment = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1
}

export const sleepUntil = (at: number) =>
  Effect.flatMap(
    Effect.clockWith((clock) => clock.currentTimeMillis),
    (now) => (at > now ? Effect.sleep(at - now) : Effect.void),
  )
