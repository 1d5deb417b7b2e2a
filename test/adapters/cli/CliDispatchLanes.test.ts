import { mkdtemp, readdir, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { runCliInProcess } from "../../support/cli.js"
import { type GitHubStandIn, startGitHubStandIn } from "../../support/GitHubStandIn.js"

const requestIds = ["req_lane_1", "req_lane_2", "req_lane_3", "req_lane_4", "req_lane_5", "req_lane_6"]
const target = { repository: "acme/infra", workflow: "apply.yml", ref: "main" }
const ours = "octocat"
const stranger = "mallory"

/**
 * Six `run-index dispatch` commands at once on one directory store, each building its own store,
 * lanes and Octokit client as six processes would (they share only the directory, where the lane's
 * lock and claims live; the store keeps no state outside its layer), GitHub answering 204 (no run
 * id) and the workflow rendering no request id: only list-and-match can learn the runs, and the
 * lane of (acme/infra, apply.yml, main) is what keeps it exact. Runs appear 0.3–3 s after their
 * dispatch, so out of dispatch order, and another user dispatches the same workflow on the same
 * branch throughout. Judged by the stand-in's own record of which dispatch created which run.
 */
describe("run-index dispatch: six commands on one lane, GitHub answering 204", () => {
  let github: GitHubStandIn
  let cwd = ""
  beforeAll(async () => {
    github = await startGitHubStandIn({
      runDetails: "ignored",
      user: ours,
      runDelay: { minMillis: 300, maxMillis: 3_000 },
    })
    cwd = await mkdtemp(join(tmpdir(), "run-index-dispatch-lanes-"))
  })
  afterAll(async () => {
    await github.close()
    await rm(cwd, { recursive: true, force: true })
  })

  it("gives each request exactly the run its own dispatch created, and never a stranger's", {
    timeout: 120_000,
  }, async () => {
    const env = {
      GITHUB_API_URL: github.url,
      GITHUB_TOKEN: "test-token-not-real",
      // Pinned so a GITHUB_ACTOR inherited from the environment (CI) cannot change whose runs are ours.
      GITHUB_ACTOR: ours,
      RUN_INDEX_DATA_DIR: join(cwd, "data"),
    }
    // Another user's workflow_dispatch runs on the same workflow and branch, before and during ours.
    github.dispatchAs(stranger, target)
    const strangerDispatches = setInterval(() => github.dispatchAs(stranger, target), 700)
    const results = await Promise.all(
      requestIds.map((requestId) =>
        runCliInProcess(
          [
            "dispatch",
            "apply",
            "--request",
            requestId,
            "--repo",
            target.repository,
            "--workflow",
            target.workflow,
            "--ref",
            target.ref,
            "--input",
            `request_id=${requestId}`,
            "--json",
          ],
          { env },
        ),
      ),
    ).finally(() => clearInterval(strangerDispatches))

    // GitHub's record: the run each of our dispatch calls created, and the runs the stranger's did.
    const createdBy = new Map<string, number>()
    for (const each of github.created) {
      if (each.login === ours) createdBy.set(String(each.inputs.request_id), each.runId)
    }
    const strangersRuns = new Set(
      github.created.filter((each) => each.login === stranger).map((each) => each.runId),
    )
    assert.isAbove(strangersRuns.size, 3, "the stranger dispatched throughout")
    assert.strictEqual(
      github.requests.filter((request) => request.method === "POST").length,
      requestIds.length,
    )
    assert.sameMembers([...createdBy.keys()], requestIds)

    for (const [index, requestId] of requestIds.entries()) {
      const result = results[index]
      assert.isDefined(result)
      if (result === undefined) continue
      assert.strictEqual(result.code, 0, `${requestId}: ${result.stderr}`)
      const output = JSON.parse(result.stdout) as Record<string, unknown>
      assert.deepInclude(output, { requestId, attempt: 1, source: "list" })
      const document = JSON.parse(await readFile(join(cwd, `data/requests/${requestId}.json`), "utf8")) as {
        runs: { apply: { attempts: Array<{ runId: number | null }> } }
      }
      const attempts = document.runs.apply.attempts
      assert.strictEqual(attempts.length, 1, requestId)
      assert.strictEqual(attempts[0]?.runId, createdBy.get(requestId), `${requestId} holds its own run`)
    }

    // The index: one entry per request, each naming the run that request's dispatch created.
    const directory = join(cwd, "data/webhooks/github/run-index/apply")
    const entries = await Promise.all(
      (await readdir(directory))
        .filter((name) => name.endsWith(".json"))
        .map(async (name) => ({
          runId: Number(/^run-(\d+)\.json$/.exec(name)?.[1]),
          entry: JSON.parse(await readFile(join(directory, name), "utf8")) as { requestId: string },
        })),
    )
    for (const { runId } of entries)
      assert.isFalse(strangersRuns.has(runId), `stranger's run ${runId} indexed`)
    assert.sameDeepMembers(
      entries.map(({ runId, entry }) => ({ runId, requestId: entry.requestId })),
      requestIds.map((requestId) => ({ runId: createdBy.get(requestId), requestId })),
    )
  })
})
