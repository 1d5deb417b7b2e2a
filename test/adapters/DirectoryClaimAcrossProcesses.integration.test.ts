import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"

const worker = join(import.meta.dirname, "../support/claimWorker.ts")

/** A claim worker, started; `ready` once it has loaded, `output` its whole stdout once it exits 0. */
const start = (args: ReadonlyArray<string>) => {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", worker, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
  })
  let stdout = ""
  let stderr = ""
  let signalReady: () => void = () => undefined
  const ready = new Promise<void>((resolve) => {
    signalReady = resolve
  })
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8")
    if (stdout.startsWith("ready\n")) signalReady()
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const output = once(child, "exit").then(([code]) => {
    if (code !== 0) throw new Error(`claim worker exited ${code}: ${stderr}`)
    return stdout.slice("ready\n".length)
  })
  return { ready, output, go: () => child.stdin?.end("go\n") }
}

describe("directory store claims across processes", () => {
  let root = ""
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "run-index-claims-"))
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it("50 claims of one run from 3 processes released at once: exactly one wins, 49 are told the winner", async () => {
    const processes = [17, 17, 16].map((claims, process) =>
      Array.from({ length: claims }, (_, claim) => `req_p${process}_c${claim}`),
    )
    const workers = processes.map((requestIds) => start([root, "destroy", "4242", ...requestIds]))
    await Promise.all(workers.map((each) => each.ready))
    for (const each of workers) each.go()
    const outputs = await Promise.all(workers.map((each) => each.output))
    const outcomes = outputs.flatMap((stdout) =>
      stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { requestId: string; outcome: string; owner: string }),
    )
    assert.strictEqual(outcomes.length, 50)
    const winners = outcomes.filter((outcome) => outcome.outcome === "Claimed")
    assert.strictEqual(winners.length, 1)
    const winner = winners[0]!.requestId
    const losers = outcomes.filter((outcome) => outcome.outcome === "OwnedByOther")
    assert.strictEqual(losers.length, 49)
    assert.isTrue(losers.every((loser) => loser.owner === winner))
    const stored = JSON.parse(
      await readFile(join(root, "webhooks/github/run-index/destroy/run-4242.json"), "utf8"),
    ) as { requestId: string }
    assert.strictEqual(stored.requestId, winner)
  })
})
