import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { runCliInProcess } from "../../support/cli.js"
import { type GitHubStandIn, runJson, startGitHubStandIn } from "../../support/GitHubStandIn.js"
import { requestDocumentWithRun } from "../../support/payloads.js"

const runId = 9_100_000_001

describe("run-index reconcile end to end", () => {
  let github: GitHubStandIn
  let cwd = ""
  let env: Record<string, string> = {}
  const documentPath = () => join(cwd, "data/requests/req_e2e.json")
  beforeAll(async () => {
    github = await startGitHubStandIn()
    github.addRuns(
      runJson({
        id: runId,
        created_at: "2026-01-01T00:00:01Z",
        updated_at: "2026-01-01T00:03:00Z",
        status: "completed",
        conclusion: "failure",
        repository: { full_name: "acme/infra" },
      }),
    )
    cwd = await mkdtemp(join(tmpdir(), "run-index-reconcile-"))
    await mkdir(join(cwd, "data/requests"), { recursive: true })
    await writeFile(documentPath(), JSON.stringify(requestDocumentWithRun("apply", runId)))
    env = {
      GITHUB_API_URL: github.url,
      GITHUB_TOKEN: "test-token-not-real",
      RUN_INDEX_DATA_DIR: join(cwd, "data"),
    }
  })
  afterAll(async () => {
    await github.close()
    await rm(cwd, { recursive: true, force: true })
  })

  it("asks GitHub for the open attempt's run and records it as GitHub holds it", async () => {
    const result = await runCliInProcess(["reconcile", "--all", "--json"], { env })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.deepStrictEqual(JSON.parse(result.stdout), { checked: 1, patched: 1, unchanged: 0, failed: {} })
    const document = JSON.parse(await readFile(documentPath(), "utf8")) as {
      runs: { apply: { attempts: Array<Record<string, unknown>> } }
    }
    assert.deepInclude(document.runs.apply.attempts[0], {
      status: "completed",
      conclusion: "failure",
      completedAt: "2026-01-01T00:03:00.000Z",
      runAttempt: 1,
    })
    assert.strictEqual(github.requests.filter((request) => request.path.endsWith(`/runs/${runId}`)).length, 1)
    const again = await runCliInProcess(["reconcile", "--request", "req_e2e"], { env })
    assert.strictEqual(again.code, 0, again.stderr)
    assert.include(again.stdout, "checked 0: 0 patched, 0 unchanged, 0 failed")
  })

  it("a request that does not exist is a failed check (exit 1) naming the reason", async () => {
    const result = await runCliInProcess(["reconcile", "--request", "req_absent", "--json"], { env })
    assert.strictEqual(result.code, 1)
    assert.deepStrictEqual(JSON.parse(result.stdout).failed, { "request:Missing": 1 })
  })

  it("takes exactly one of --request and --all (exit 2)", async () => {
    const result = await runCliInProcess(["reconcile", "--all", "--request", "req_e2e"], { env })
    assert.strictEqual(result.code, 2)
    assert.include(result.stderr, "exactly one of --request ID or --all")
  })
})
