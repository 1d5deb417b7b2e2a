import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { runCliInProcess } from "../../support/cli.js"
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

  it("each command's help lists the environment variables it reads", async () => {
    const expected: ReadonlyArray<readonly [ReadonlyArray<string>, ReadonlyArray<string>]> = [
      [["claim"], ["TFPILOT_REQUESTS_BUCKET", "RUN_INDEX_DATA_DIR", "RUN_INDEX_RETENTION_DAYS"]],
      [["get"], ["TFPILOT_REQUESTS_BUCKET", "RUN_INDEX_DATA_DIR"]],
      [["dispatch"], ["GITHUB_TOKEN", "GITHUB_ACTOR", "RUN_INDEX_LANE_WAIT", "TFPILOT_REQUESTS_BUCKET"]],
      [
        ["deliveries", "recover"],
        ["RUN_INDEX_GITHUB_HOOK", "GITHUB_TOKEN"],
      ],
      [["deliveries", "replay"], ["RUN_INDEX_SPOOL_DIR"]],
      [
        ["webhook", "send"],
        ["GITHUB_WEBHOOK_SECRET", "HOST", "PORT"],
      ],
      [["reconcile"], ["GITHUB_TOKEN", "TFPILOT_REQUESTS_BUCKET"]],
      [["serve"], ["HOST", "PORT", "RUN_INDEX_API_TOKEN", "GITHUB_WEBHOOK_SECRET"]],
    ]
    for (const [command, variables] of expected) {
      const help = await runCliInProcess([...command, "--help"])
      assert.strictEqual(help.code, 0, help.stderr)
      const environment = help.stdout.slice(help.stdout.indexOf("Environment:")).replaceAll("\n", " ")
      for (const variable of variables) assert.include(environment, variable, command.join(" "))
    }
  })
})
