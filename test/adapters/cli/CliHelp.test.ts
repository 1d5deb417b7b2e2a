import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { runCli } from "../../support/cliProcess.js"

describe("run-index --help, piped", () => {
  let cwd: string
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "run-index-help-"))
  })
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true })
  })

  it("has no ANSI codes and no line wider than 80 columns, with and without NO_COLOR", async () => {
    for (const env of [{}, { NO_COLOR: "1" }]) {
      const help = await runCli(["simulate", "--help"], env, cwd)
      assert.strictEqual(help.code, 0, help.stderr)
      assert.include(help.stdout, "--foreign-dispatches")
      assert.notInclude(help.stdout, "\x1b[")
      const wide = help.stdout.split("\n").filter((line) => line.length > 80)
      assert.deepStrictEqual(wide, [])
    }
  }, 180_000)
})
