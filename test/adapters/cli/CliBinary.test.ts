import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { ensureBuilt, runCli } from "../../support/cliProcess.js"

/**
 * The built binary, spawned, once per output mode: what the in-process CLI tests cannot see — that
 * `dist/bin.js` loads, reads its environment, prints to the real stdout and stderr and ends the
 * process with the documented exit code. Every command's behaviour is tested in process (CliContract.ts).
 */
describe("the built run-index binary", () => {
  let cwd = ""
  let env: Record<string, string> = {}
  beforeAll(async () => {
    await ensureBuilt()
    cwd = await mkdtemp(join(tmpdir(), "run-index-binary-"))
    env = { RUN_INDEX_DATA_DIR: join(cwd, "data") }
  }, 180_000)
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true })
  })

  it("text: a claim prints a line on stdout and exits 0; a losing claim says who owns the run on stderr and exits 4", async () => {
    const claimed = await runCli(["claim", "plan", "7", "req_smoke"], env, cwd)
    assert.deepStrictEqual(claimed, { code: 0, stdout: "claimed plan run 7 for req_smoke\n", stderr: "" })
    const lost = await runCli(["claim", "plan", "7", "req_other"], env, cwd)
    assert.deepStrictEqual(lost, { code: 4, stdout: "", stderr: "plan run 7 is owned by req_smoke\n" })
  })

  it("--json: one JSON object on stdout, exit 3 for a missing entry", async () => {
    const missing = await runCli(["get", "apply", "8", "--json"], env, cwd)
    assert.strictEqual(missing.code, 3, missing.stderr)
    assert.deepStrictEqual(JSON.parse(missing.stdout), { status: "missing", kind: "apply", runId: 8 })
  })
})
