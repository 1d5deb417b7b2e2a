import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import { invariantNames } from "../../../src/simulation/domain/SimulationInvariants.js"
import {
  deterministicPart,
  faultLevels,
  type SimulationSettings,
  simulationModes,
} from "../../../src/simulation/domain/SimulationReport.js"
import { runSimulation } from "../../../src/simulation/run/Simulation.js"
import { temporaryDirectoryLayer } from "../../support/directory.js"

const settings = (overrides: Partial<SimulationSettings>): SimulationSettings => ({
  requests: 40,
  concurrency: 32,
  seed: 1,
  mode: "no-run-details",
  token: false,
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

/** Every invariant with no violation: what a passing run reports. */
const none = Object.fromEntries(invariantNames.map((name) => [name, 0]))

const attributionViolations = (report: { readonly violations: Record<string, number> }) =>
  report.violations.swappedRuns! + report.violations.misattributedIndexEntries!

describe("simulation", () => {
  it.live.prop(
    "with lanes, no token and no run details, every run goes to the dispatch GitHub says created it, whatever the seed",
    { seed: fc.integer({ min: 1, max: 1_000_000 }), faults: fc.constantFrom(...faultLevels) },
    ({ seed, faults }) =>
      Effect.gen(function* () {
        const report = yield* simulate({ seed, faults })
        assert.deepStrictEqual(report.violations, none, JSON.stringify(report.examples))
        assert.isTrue(report.passed)
        assert.isAbove(report.dispatches.resolved, 0)
      }),
    { timeout: 240_000, fastCheck: { numRuns: 4 } },
  )

  it.live.prop(
    "with claims and lanes every invariant holds whatever GitHub's mode, the token and the number of instances",
    {
      seed: fc.integer({ min: 1, max: 1_000_000 }),
      mode: fc.constantFrom(...simulationModes),
      token: fc.boolean(),
      instances: fc.integer({ min: 1, max: 4 }),
    },
    ({ seed, mode, token, instances }) =>
      Effect.gen(function* () {
        const report = yield* simulate({ seed, mode, token, instances })
        assert.deepStrictEqual(report.violations, none, JSON.stringify(report.examples))
        assert.strictEqual(report.dispatches.total, 40 + report.dispatches.secondAttempts)
        assert.strictEqual(report.deliveries.stillParked, 0)
      }),
    { timeout: 240_000, fastCheck: { numRuns: 4 } },
  )

  it.live(
    "the check-then-put baseline gives one run to two requests and runs to the wrong requests, and fails",
    () =>
      Effect.gen(function* () {
        const baseline = yield* simulate({
          seed: 42,
          faults: "none",
          requests: 60,
          strategy: "check-then-put",
        })
        assert.isAtLeast(baseline.violations.duplicateClaims, 1)
        assert.isAtLeast(baseline.violations.swappedRuns, 1)
        assert.isFalse(baseline.passed)
        assert.match(
          baseline.examples.duplicateClaims[0] ?? "",
          /^(plan|apply|destroy|cleanup|drift_plan) run \d+ is held by req_sim_\d+ and req_sim_\d+$/,
        )
      }),
    { timeout: 240_000 },
  )

  it.live(
    "without lanes, list-and-match without a token gives runs to the wrong dispatches; with lanes none",
    () =>
      Effect.gen(function* () {
        const load = { seed: 3, faults: "none", requests: 60 } as const
        const off = yield* simulate({ ...load, lanes: false })
        assert.isAtLeast(attributionViolations(off), 1)
        assert.isAtLeast(off.violations.wrongRequestPatches, 1)
        assert.isFalse(off.passed)
        assert.match(off.examples.swappedRuns[0] ?? "", /holds run \d+, created by /)
        const on = yield* simulate(load)
        assert.deepStrictEqual(on.violations, none, JSON.stringify(on.examples))
        assert.strictEqual(on.dispatches.total, off.dispatches.total)
      }),
    { timeout: 240_000 },
  )

  it.live(
    "another program dispatching with our identity, without lanes, is the ambiguity that remains: it shows as violations",
    () =>
      Effect.gen(function* () {
        const report = yield* simulate({ seed: 5, faults: "none", requests: 60, foreignDispatches: 0.5 })
        assert.isAbove(report.dispatches.foreignRuns, 0)
        assert.isAtLeast(attributionViolations(report), 1)
        assert.isFalse(report.passed)
      }),
    { timeout: 240_000 },
  )

  it.live(
    "several instances share the work and the store; the same seed gives the same report, wall-clock figures aside",
    () =>
      Effect.gen(function* () {
        const heavy = { seed: 7, mode: "ghes", faults: "heavy", instances: 3 } as const
        const first = yield* simulate(heavy)
        assert.strictEqual(first.instances.length, 3)
        for (const instance of first.instances) {
          assert.isAbove(instance.dispatches, 0)
          assert.isAbove(instance.posts, 0)
          assert.isAbove(instance.storeOperations, 0)
        }
        assert.strictEqual(
          first.instances.reduce((sum, instance) => sum + instance.dispatches, 0),
          first.dispatches.total,
        )
        assert.isAbove(first.deliveries.byOutcome.parked ?? 0, 0, "heavy faults park deliveries")
        const second = yield* simulate(heavy)
        assert.deepStrictEqual(deterministicPart(second), deterministicPart(first))
        const other = yield* simulate({ ...heavy, seed: 8 })
        assert.notDeepEqual(deterministicPart(other), deterministicPart(first))
      }),
    { timeout: 240_000 },
  )

  it.live(
    "on the directory store, with two instances, the same invariants hold",
    () =>
      Effect.gen(function* () {
        const report = yield* Effect.promise(() =>
          runSimulation(
            settings({ requests: 30, store: "directory", faults: "heavy", instances: 2 }),
            temporaryDirectoryLayer(),
          ),
        )
        assert.deepStrictEqual(report.violations, none, JSON.stringify(report.examples))
        assert.isTrue(report.passed)
        assert.isAbove(report.deliveries.byOutcome.patched ?? 0, 0)
      }),
    { timeout: 240_000 },
  )
})
