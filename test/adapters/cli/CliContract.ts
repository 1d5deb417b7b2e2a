import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { json, runCliInProcess } from "../../support/cli.js"

export interface CliTarget {
  /** The CLI's whole environment, naming the store. */
  readonly env: Record<string, string>
  /** Writes raw bytes at an index key, as an older writer or a hand edit might. */
  readonly plant: (path: string, body: string) => Promise<void>
  /** Whether the store has lifecycle rules (a bucket) or not (a directory). */
  readonly lifecycleRules: boolean
  readonly cleanup: () => Promise<void>
}

/** The CLI's commands through its @effect/cli app, in this process, against one store. */
export const cliContract = (name: string, makeTarget: () => Promise<CliTarget>) =>
  describe(`run-index CLI end to end: ${name}`, () => {
    let target: CliTarget
    const cli = (...args: Array<string>) => runCliInProcess(args, { env: target.env })

    beforeAll(async () => {
      target = await makeTarget()
    })
    afterAll(async () => {
      await target.cleanup()
    })

    it("claim, a losing claim, get and delete report through output and exit codes", async () => {
      const claimed = await cli("claim", "destroy", "1001", "req_winner", "--json")
      assert.strictEqual(claimed.code, 0, claimed.stderr)
      assert.strictEqual(json(claimed).status, "claimed")

      const lost = await cli("claim", "destroy", "1001", "req_loser")
      assert.strictEqual(lost.code, 4)
      assert.include(lost.stderr, "owned by req_winner")

      const found = await cli("get", "destroy", "1001", "--json")
      assert.strictEqual(found.code, 0)
      assert.deepInclude(json(found), { status: "found" })
      assert.strictEqual((json(found).entry as { requestId: string }).requestId, "req_winner")

      const deleted = await cli("delete", "destroy", "1001")
      assert.strictEqual(deleted.code, 0)
      const missing = await cli("get", "destroy", "1001")
      assert.strictEqual(missing.code, 3)
    })

    it("an invalid entry exits 5 with its reason, and verify fails on it", async () => {
      await target.plant("webhooks/github/run-index/plan/run-2002.json", '{"kind":"plan","runId":"2002"}')
      const invalid = await cli("get", "plan", "2002")
      assert.strictEqual(invalid.code, 5)
      assert.include(invalid.stderr, "RunIdNotNumber")
      const verify = await cli("verify", "--json")
      assert.strictEqual(verify.code, 1)
      assert.deepInclude(json(verify), { invalid: 1, consistent: false })
    })

    it("put, ls and stats agree on what is stored", async () => {
      const put = await cli("put", "apply", "3003", "req_put")
      assert.strictEqual(put.code, 0, put.stderr)
      const listed = await cli("ls", "--kind", "apply", "--json")
      assert.strictEqual(listed.code, 0)
      const lines = listed.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { entry?: { runId: number } })
      assert.deepStrictEqual(
        lines.map((line) => line.entry?.runId),
        [3003],
      )
      const stats = await cli("stats", "--json")
      assert.strictEqual(stats.code, 0)
      assert.deepInclude(json(stats), { entries: 1, invalid: 1 })
    })

    it("deliveries ls lists a parked delivery and replay --id replays only that one", async () => {
      const parked = {
        deliveryId: "parked-ping",
        headers: { "x-github-event": "ping", "x-github-delivery": "parked-ping" },
        body: '{"zen":"Keep it logically awesome."}',
        reason: "store unavailable",
        parkedAt: "2026-01-01T00:00:00.000Z",
        attempts: 1,
      }
      await target.plant("webhooks/github/parked/parked-ping.json", JSON.stringify(parked))
      const listed = await cli("deliveries", "ls", "--json")
      assert.strictEqual(listed.code, 0, listed.stderr)
      assert.deepInclude(json(listed), { deliveryId: "parked-ping", event: "ping", attempts: 1 })
      const other = await cli("deliveries", "replay", "--id", "not-parked")
      assert.strictEqual(other.code, 3)
      assert.include(other.stderr, "no parked delivery not-parked")
      const replayed = await cli("deliveries", "replay", "--id", "parked-ping", "--json")
      assert.strictEqual(replayed.code, 0, replayed.stderr)
      assert.deepStrictEqual(json(replayed), { replayed: 1, stillParked: 0, unreadable: 0 })
      const empty = await cli("deliveries", "ls", "--json")
      assert.strictEqual(empty.stdout.trim(), "")
    })

    it("verify --requests, backfill and sweep repair a planted index and report what they did", async () => {
      // Left by the tests above: apply 3003 → req_put (fresh), and an invalid plan 2002.
      await target.plant(
        "webhooks/github/run-index/apply/run-4004.json",
        '{"kind":"apply","runId":4004,"requestId":"req_old","createdAt":"2020-01-01T00:00:00.000Z","expiresAt":"2020-03-31T00:00:00.000Z"}',
      )
      const attempt = (runId: number) => ({
        attempt: 1,
        status: "completed",
        dispatchedAt: "2025-01-01T00:00:00.000Z",
        runId,
      })
      await target.plant(
        "requests/req_put.json",
        JSON.stringify({
          version: 1,
          runs: {
            apply: { currentAttempt: 1, attempts: [attempt(3003)] },
            plan: { currentAttempt: 1, attempts: [attempt(5005)] },
          },
        }),
      )

      const before = await cli("verify", "--requests", "--json")
      assert.strictEqual(before.code, 1, before.stderr)
      assert.deepInclude(json(before), { invalid: 1, consistent: false })
      assert.deepStrictEqual((json(before).requests as { byProblem: unknown }).byProblem, {
        RequestMissing: 1,
        EntryMissing: 1,
      })

      const backfill = await cli("backfill", "--json")
      assert.strictEqual(backfill.code, 0, backfill.stderr)
      assert.deepInclude(json(backfill), { claimed: 1, alreadyIndexed: 1, conflicts: 0 })

      const badBefore = await cli("sweep", "--before", "yesterday")
      assert.strictEqual(badBefore.code, 2)
      assert.include(badBefore.stdout + badBefore.stderr, '--before "yesterday"')
      // By age (the default) every entry was written moments ago: none is expired until 2100.
      const byAge = await cli("sweep", "--dry-run", "--json")
      assert.strictEqual(byAge.code, 0, byAge.stderr)
      assert.deepInclude(json(byAge), { mode: "age", dryRun: true, scanned: 4, expired: 0, kept: 4 })
      const byAgeLater = await cli("sweep", "--dry-run", "--json", "--before", "2100-01-01T00:00:00Z")
      assert.deepInclude(json(byAgeLater), { mode: "age", expired: 4, kept: 0, deleted: 0 })
      const dryRun = await cli("sweep", "--read-bodies", "--dry-run", "--json")
      assert.strictEqual(dryRun.code, 0, dryRun.stderr)
      assert.deepInclude(json(dryRun), { mode: "bodies", dryRun: true, expired: 1, invalid: 1, deleted: 0 })
      const swept = await cli("sweep", "--delete-invalid")
      assert.strictEqual(swept.code, 0, swept.stderr)
      assert.include(swept.stdout, "1 expired, 2 kept, 1 invalid; deleted 2")

      const after = await cli("verify", "--requests", "--json")
      assert.strictEqual(after.code, 0, after.stdout)
      assert.deepInclude(json(after), { checked: 2, invalid: 0, consistent: true })
    })

    it("sweep --delete-invalid deletes an invalid entry but keeps and names a key of another shape under the prefix", async () => {
      await target.plant("webhooks/github/run-index/plan/run-6006.json", "not json")
      await target.plant("webhooks/github/run-index/plan/notes.txt", "remember the secret rotation")
      const swept = await cli("sweep", "--delete-invalid")
      assert.strictEqual(swept.code, 0, swept.stderr)
      assert.include(swept.stdout, "0 expired, 2 kept, 2 invalid; deleted 1")
      assert.include(swept.stdout, "KEPT    webhooks/github/run-index/plan/notes.txt  not an index key")
      const verify = await cli("verify", "--json")
      assert.deepInclude(json(verify), { checked: 3, invalid: 1, reasons: { UnrecognisedKey: 1 } })
    })

    it("lifecycle apply adds the rule where the store has lifecycle rules, and points to sweep where not", async () => {
      const dryRun = await cli("lifecycle", "apply", "--dry-run", "--json")
      if (!target.lifecycleRules) {
        assert.strictEqual(dryRun.code, 1)
        assert.deepInclude(json(dryRun), { status: "not-supported" })
        const show = await cli("lifecycle", "show")
        assert.strictEqual(show.code, 0)
        assert.include(show.stdout, "lifecycle rules do not apply")
        assert.include(show.stdout, "run-index sweep")
        return
      }
      assert.strictEqual(dryRun.code, 0, dryRun.stderr)
      assert.deepInclude(json(dryRun), { status: "added", written: false })
      const applied = await cli("lifecycle", "apply", "--days", "100")
      assert.strictEqual(applied.code, 0, applied.stderr)
      assert.include(applied.stdout, "added the run-index-expire-entries rule")
      const show = await cli("lifecycle", "show", "--json")
      assert.deepInclude(json(show), { status: "present" })
      assert.deepInclude(json(show).runIndexRule as object, { Expiration: { Days: 100 } })
    })

    it("bad arguments exit 2 naming the argument, and write nothing", async () => {
      const badRunId = await cli("claim", "plan", "12abc", "req_a")
      assert.strictEqual(badRunId.code, 2)
      assert.include(badRunId.stdout + badRunId.stderr, "runId")
      const badRequest = await cli("claim", "plan", "12", "../escape")
      assert.strictEqual(badRequest.code, 2)
      assert.include(badRequest.stdout + badRequest.stderr, "requestId")
      const stillMissing = await cli("get", "plan", "12")
      assert.strictEqual(stillMissing.code, 3)
    })
  })
