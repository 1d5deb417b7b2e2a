import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { runCliInProcess } from "../../support/cli.js"

describe("a parked object that cannot be read", () => {
  let dataDirectory = ""
  const cli = (...args: ReadonlyArray<string>) =>
    runCliInProcess(args, { env: { RUN_INDEX_DATA_DIR: dataDirectory, RUN_INDEX_LOG_FORMAT: "json" } })
  beforeAll(async () => {
    dataDirectory = await mkdtemp(join(tmpdir(), "run-index-unreadable-"))
    await mkdir(join(dataDirectory, "webhooks/github/parked"), { recursive: true })
    await writeFile(join(dataDirectory, "webhooks/github/parked/hand-edited.json"), '{"deliveryId":')
  })
  afterAll(async () => {
    await rm(dataDirectory, { recursive: true, force: true })
  })

  it("is listed with its path and reason, keeps replay failing, and leaves only when an operator drops it", async () => {
    const listed = await cli("deliveries", "ls")
    assert.strictEqual(listed.code, 0, listed.stderr)
    assert.match(
      listed.stdout,
      /^hand-edited {2}UNREADABLE {2}webhooks\/github\/parked\/hand-edited\.json {2}\S/m,
    )
    const json = await cli("deliveries", "ls", "--json")
    assert.deepInclude(JSON.parse(json.stdout) as object, { deliveryId: "hand-edited", unreadable: true })

    const replayed = await cli("deliveries", "replay")
    assert.strictEqual(replayed.code, 1, replayed.stderr)
    assert.include(replayed.stdout, "replayed 0; still parked 0; unreadable 1")
    assert.deepStrictEqual(await readdir(join(dataDirectory, "webhooks/github/parked")), ["hand-edited.json"])

    const dropped = await cli("deliveries", "drop", "hand-edited")
    assert.strictEqual(dropped.code, 0, dropped.stderr)
    assert.include(dropped.stdout, "dropped hand-edited (unreadable:")
    assert.deepStrictEqual(await readdir(join(dataDirectory, "webhooks/github/parked")), [])
    const again = await cli("deliveries", "drop", "hand-edited")
    assert.strictEqual(again.code, 3)
  })

  it("deliveries dead lists dead letters, and says when there are none", async () => {
    const none = await cli("deliveries", "dead")
    assert.strictEqual(none.code, 0, none.stderr)
    assert.strictEqual(none.stderr.trim(), "no dead letters")
    await mkdir(join(dataDirectory, "webhooks/github/dead-letters"), { recursive: true })
    await writeFile(
      join(dataDirectory, "webhooks/github/dead-letters/dead-1.json"),
      JSON.stringify({
        deliveryId: "dead-1",
        headers: { "x-github-event": "workflow_run" },
        body: "{}",
        reason: "request req_a: stored document is invalid",
        parkedAt: "2026-12-02T00:00:00.000Z",
        attempts: 1,
      }),
    )
    const listed = await cli("deliveries", "dead", "--json")
    assert.strictEqual(listed.code, 0, listed.stderr)
    assert.deepInclude(JSON.parse(listed.stdout) as object, {
      deliveryId: "dead-1",
      event: "workflow_run",
      reason: "request req_a: stored document is invalid",
    })
  })
})
