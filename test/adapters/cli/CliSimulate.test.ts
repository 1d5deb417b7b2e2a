import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { invariantNames } from "../../../src/domain/SimulationInvariants.js"
import { runCli } from "../../support/cliProcess.js"

describe("run-index simulate end to end", () => {
  let cwd = ""
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "run-index-simulate-"))
  })
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true })
  })

  it("runs on a temporary directory store, prints the report as JSON and writes a self-contained HTML page", async () => {
    const page = join(cwd, "report.html")
    const result = await runCli(
      ["simulate", "--requests", "40", "--store", "directory", "--seed", "5", "--json", "--report", page],
      {},
      cwd,
    )
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
    assert.deepInclude(report.settings, { requests: 40, store: "directory", strategy: "claim", token: true })
    const html = await readFile(page, "utf8")
    assert.include(html, "<svg")
    assert.include(html, "duplicateClaims")
    assert.notMatch(html, /(src|href)=|https?:\/\/|<script/)
  })

  it("exits 1 and says so when the baseline violates an invariant", async () => {
    const result = await runCli(
      [
        "simulate",
        "--requests",
        "120",
        "--seed",
        "42",
        "--no-token",
        "--faults",
        "none",
        "--strategy",
        "check-then-put",
      ],
      {},
      cwd,
    )
    assert.strictEqual(result.code, 1, result.stderr)
    assert.include(result.stdout, "check-then-put (BASELINE, for comparison only)")
    assert.match(result.stdout, /duplicateClaims\s+[1-9]/)
    assert.include(result.stdout, "FAILED")
  })
})
