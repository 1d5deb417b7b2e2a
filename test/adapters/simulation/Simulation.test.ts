import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import { runSimulation } from "../../../src/adapters/simulation/Simulation.js"
import { invariantNames } from "../../../src/domain/SimulationInvariants.js"
import {
  deterministicPart,
  faultLevels,
  type SimulationSettings,
  simulationModes,
} from "../../../src/domain/SimulationReport.js"
import { temporaryDirectoryLayer } from "../../support/directory.js"
import { motoLayer } from "../../support/s3.js"

const settings = (overrides: Partial<SimulationSettings>): SimulationSettings => ({
  requests: 150,
  concurrency: 32,
  seed: 1,
  mode: "no-run-details",
  token: true,
  faults: "light",
  strategy: "claim",
  store: "memory",
  instances: 1,
  lanes: true,
  foreignDispatches: 0,
  ...overrides,
})

const simulate = (options: Partial<SimulationSettings>) =>
  Effect.promise(() => runSimulation(settings(options)))

/** The six invariants with no violation: what a passing run reports. */
const none = Object.fromEntries(invariantNames.map((name) => [name, 0]))

describe("simulation", () => {
  it.live.prop(
    "with claims, every required invariant holds whatever the seed, GitHub's mode and the faults",
    {
      seed: fc.integer({ min: 1, max: 1_000_000 }),
      mode: fc.constantFrom(...simulationModes),
      faults: fc.constantFrom(...faultLevels),
      token: fc.boolean(),
    },
    ({ seed, mode, faults, token }) =>
      Effect.gen(function* () {
        const report = yield* simulate({ requests: 160, seed, mode, faults, token })
        assert.deepStrictEqual(report.violations, none, JSON.stringify(report.examples))
        assert.isTrue(report.passed)
        assert.strictEqual(report.violations.duplicateClaims, 0)
        assert.strictEqual(report.dispatches.total, 160 + report.dispatches.secondAttempts)
        assert.strictEqual(report.deliveries.stillParked, 0)
        if (token || mode === "run-details") assert.isAbove(report.dispatches.resolved, 0)
      }),
    { timeout: 240_000, fastCheck: { numRuns: 5 } },
  )

  it.live(
    "the check-then-put baseline, under the same load, gives one run to two requests; claims never do",
    () =>
      Effect.gen(function* () {
        const load = { seed: 42, token: false, faults: "none", requests: 150 } as const
        const baseline = yield* simulate({ ...load, strategy: "check-then-put" })
        assert.isAtLeast(baseline.violations.duplicateClaims, 1)
        assert.isFalse(baseline.passed)
        assert.match(
          baseline.examples.duplicateClaims[0] ?? "",
          /^(plan|apply|destroy|cleanup|drift_plan) run \d+ is held by req_sim_\d+ and req_sim_\d+$/,
        )
        const claim = yield* simulate({ ...load, strategy: "claim" })
        assert.strictEqual(claim.violations.duplicateClaims, 0)
        assert.isTrue(claim.passed)
        assert.strictEqual(claim.dispatches.total, baseline.dispatches.total)
      }),
    { timeout: 240_000 },
  )

  it.live(
    "the same seed gives the same report, wall-clock figures aside; another seed another",
    () =>
      Effect.gen(function* () {
        const heavy = { seed: 7, mode: "ghes", token: false, faults: "heavy", requests: 100 } as const
        const first = yield* simulate(heavy)
        const second = yield* simulate(heavy)
        assert.deepStrictEqual(deterministicPart(second), deterministicPart(first))
        assert.isAbove(first.deliveries.byOutcome.parked ?? 0, 0, "heavy faults park deliveries")
        const other = yield* simulate({ ...heavy, seed: 8 })
        assert.notDeepEqual(deterministicPart(other), deterministicPart(first))
      }),
    { timeout: 240_000 },
  )

  it.live(
    "on the directory store the same invariants hold",
    () =>
      Effect.gen(function* () {
        const report = yield* Effect.promise(() =>
          runSimulation(
            settings({ requests: 40, store: "directory", faults: "heavy" }),
            temporaryDirectoryLayer(),
          ),
        )
        assert.deepStrictEqual(report.violations, none, JSON.stringify(report.examples))
        assert.isTrue(report.passed)
        assert.isAbove(report.deliveries.byOutcome.patched ?? 0, 0)
      }),
    { timeout: 240_000 },
  )

  it.live(
    "on S3 (moto) the same invariants hold",
    () =>
      Effect.gen(function* () {
        const report = yield* Effect.promise(() =>
          runSimulation(
            settings({ requests: 12, store: "s3", mode: "run-details", faults: "light" }),
            motoLayer(),
          ),
        )
        assert.deepStrictEqual(report.violations, none, JSON.stringify(report.examples))
        assert.isTrue(report.passed)
        assert.isAbove(report.deliveries.byOutcome.patched ?? 0, 0)
      }),
    { timeout: 240_000 },
  )
})
