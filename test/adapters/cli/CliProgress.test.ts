import { execFile } from "node:child_process"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { runCli } from "../../support/cliProcess.js"
import { startGitHubStandIn } from "../../support/GitHubStandIn.js"

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

describe("run-index dispatch progress", () => {
  it("on a terminal, shows the lane, the dispatch and each look for its run, and clears the line", async () => {
    const github = await startGitHubStandIn({ runDetails: "refused" })
    const data = await mkdtemp(join(tmpdir(), "run-index-dispatch-progress-"))
    try {
      const shown = await onTerminal(
        `GITHUB_API_URL=${github.url} GITHUB_TOKEN=test-token-not-real RUN_INDEX_DATA_DIR=${data} ${process.execPath} --import ${tsx} ${bin} dispatch apply --request req_progress --repo acme/infra --workflow apply.yml --ref main --input request_id=req_progress > /dev/null`,
      )
      const frames = shown.split("\r").map((frame) => frame.replace("\x1b[K", ""))
      // A log line may follow a frame on the terminal (stderr is shared): frames are matched by start.
      for (const expected of [
        "apply for req_progress: waiting for the dispatch lane",
        "apply for req_progress: dispatching",
        "apply for req_progress: dispatched; looking for its run (look 1)",
      ])
        assert.isTrue(
          frames.some((frame) => frame.startsWith(expected)),
          `${expected} not shown in ${JSON.stringify(shown)}`,
        )
    } finally {
      await github.close()
      await rm(data, { recursive: true, force: true })
    }
  }, 180_000)
})
