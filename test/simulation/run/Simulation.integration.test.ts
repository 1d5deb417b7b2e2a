import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { invariantNames } from "../../../src/simulation/domain/SimulationInvariants.js"
import type { SimulationSettings } from "../../../src/simulation/domain/SimulationReport.js"
import { runSimulation } from "../../../src/simulation/run/Simulation.js"
import { motoLayer } from "../../support/s3.js"

const settings: SimulationSettings = {
  requests: 12,
  concurrency: 32,
  seed: 1,
  mode: "no-run-details",
  token: false,
  faults: "light",
  strategy: "claim",
  store: "s3",
  instances: 1,
  lanes: true,
  foreignDispatches: 0,
}

const none = Object.fromEntries(invariantNames.map((name) => [name, 0]))

describe("simulation on S3", () => {
  it.live(
    "on S3 (moto) the same invariants hold",
    () =>
      Effect.gen(function* () {
        const report = yield* Effect.promise(() => runSimulation(settings, motoLayer()))
        assert.deepStrictEqual(report.violations, none, JSON.stringify(report.examples))
        assert.isTrue(report.passed)
        assert.isAbove(report.deliveries.byOutcome.patched ?? 0, 0)
      }),
    { timeout: 240_000 },
  )
})
