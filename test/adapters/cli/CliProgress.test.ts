import { execFile } from "node:child_process"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { runCli } from "../../support/cliProcess.js"

const bin = join(import.meta.dirname, "../../../src/bin.ts")
const tsx = join(import.meta.dirname, "../../../node_modules/tsx/dist/esm/index.mjs")

/** Runs a shell command line on a pseudo-terminal (util-linux `script`), returning what the terminal showed. */
const onTerminal = (commandLine: string) =>
  new Promise<string>((resolve, reject) =>
    execFile(
      "script",
      ["-qec", commandLine, "/dev/null"],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => (error === null ? resolve(stdout) : reject(error)),
    ),
  )

describe("run-index simulate progress", () => {
  it("on a terminal, shows requests, dispatches done and deliveries as it goes, and clears the line", async () => {
    const shown = await onTerminal(
      `${process.execPath} --import ${tsx} ${bin} simulate --requests 40 --faults none > /dev/null`,
    )
    const frames = shown.split("\r").filter((frame) => frame.includes("simulating"))
    assert.isAbove(frames.length, 0, shown)
    assert.match(frames.at(-1) ?? "", /simulating 40 requests: \d+ dispatches done, [\d,]+ deliveries/)
  }, 180_000)

  it("piped, shows no progress at all", async () => {
    const piped = await runCli(["simulate", "--requests", "40", "--faults", "none"], {}, process.cwd())
    assert.strictEqual(piped.code, 0, piped.stderr)
    assert.notInclude(piped.stderr, "simulating")
  }, 180_000)
})
