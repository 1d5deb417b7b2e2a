import { execFile } from "node:child_process"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"

const run = promisify(execFile)
const worker = join(import.meta.dirname, "../support/claimWorker.ts")

describe("directory store claims across processes", () => {
  let root = ""
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "run-index-claims-"))
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it("50 claims of one run from 5 processes: exactly one wins, 49 are told the winner", async () => {
    const processes = Array.from({ length: 5 }, (_, process) =>
      Array.from({ length: 10 }, (_, claim) => `req_p${process}_c${claim}`),
    )
    const outputs = await Promise.all(
      processes.map((requestIds) =>
        run(process.execPath, ["--import", "tsx", worker, root, "destroy", "4242", ...requestIds]),
      ),
    )
    const outcomes = outputs.flatMap(({ stdout }) =>
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
