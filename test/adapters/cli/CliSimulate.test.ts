import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { invariantNames } from "../../../src/simulation/domain/SimulationInvariants.js"
import { runCliInProcess } from "../../support/cli.js"

describe("run-index simulate through the CLI", () => {
  let cwd = ""
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "run-index-simulate-"))
  })
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true })
  })

  it("runs on a temporary directory store, prints the report as JSON and writes a self-contained HTML page", async () => {
    const page = join(cwd, "report.html")
    const result = await runCliInProcess([
      "simulate",
      "--requests",
      "40",
      "--store",
      "directory",
      "--seed",
      "5",
      "--json",
      "--report",
      page,
    ])
    assert.strictEqual(result.code, 0, result.stderr)
    const report = JSON.parse(result.stdout) as {
      passed: boolean
      violations: Record<string, number>
      settings: Record<string, unknown>
    }
    assert.deepStrictEqual(Object.keys(report.violations), [...invariantNames])
    assert.deepStrictEqual(
      Object.values(report.violations),
      invariantNames.map(() => 0),
    )
    assert.deepInclude(report.settings, {
      requests: 40,
      store: "directory",
      strategy: "claim",
      token: true,
      instances: 1,
      lanes: true,
      foreignDispatches: 0,
    })
    const html = await readFile(page, "utf8")
    assert.include(html, "<svg")
    assert.include(html, "duplicateClaims")
    assert.notMatch(html, /(src|href)=|https?:\/\/|<script/)
  })

  it("exits 1 and says so when the baseline violates an invariant", async () => {
    const result = await runCliInProcess([
      "simulate",
      "--requests",
      "60",
      "--seed",
      "42",
      "--mode",
      "no-run-details",
      "--no-token",
      "--faults",
      "none",
      "--strategy",
      "check-then-put",
    ])
    assert.strictEqual(result.code, 1, result.stderr)
    assert.include(result.stdout, "check-then-put (BASELINE, for comparison only)")
    assert.match(result.stdout, /duplicateClaims\s+[1-9]/)
    assert.match(result.stdout, /swappedRuns\s+[1-9]/)
    assert.include(result.stdout, "FAILED")
    assert.include(result.stdout, "this run is an ablation: the check-then-put baseline")
  })

  it("with lanes off, on two instances, runs go to the wrong dispatches: exit 1, each instance reported", async () => {
    const result = await runCliInProcess([
      "simulate",
      "--requests",
      "40",
      "--seed",
      "3",
      "--mode",
      "no-run-details",
      "--no-token",
      "--faults",
      "none",
      "--lanes",
      "off",
      "--instances",
      "2",
      "--json",
    ])
    assert.strictEqual(result.code, 1, result.stderr)
    const report = JSON.parse(result.stdout) as {
      passed: boolean
      violations: Record<string, number>
      instances: ReadonlyArray<{ dispatches: number }>
    }
    assert.isFalse(report.passed)
    assert.isAbove(report.violations.swappedRuns ?? 0, 0)
    assert.strictEqual(report.instances.length, 2)
  })

  it("--instances below 1 is a usage error naming the option", async () => {
    const result = await runCliInProcess(["simulate", "--instances", "0"])
    assert.strictEqual(result.code, 2)
    assert.include(result.stderr + result.stdout, "--instances 0: must be at least 1")
  })
})
