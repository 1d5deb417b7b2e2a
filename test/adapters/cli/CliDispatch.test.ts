import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { runCliInProcess } from "../../support/cli.js"
import { type GitHubStandIn, startGitHubStandIn } from "../../support/GitHubStandIn.js"

describe.each([
  { runDetails: "supported" as const, source: "run-details" },
  { runDetails: "refused" as const, source: "list" },
])("run-index dispatch end to end, GitHub answering run details: $runDetails", ({ runDetails, source }) => {
  let github: GitHubStandIn
  let cwd = ""
  beforeAll(async () => {
    github = await startGitHubStandIn({ runDetails })
    cwd = await mkdtemp(join(tmpdir(), "run-index-dispatch-"))
  })
  afterAll(async () => {
    await github.close()
    await rm(cwd, { recursive: true, force: true })
  })

  it(`resolves the run (${source}), claims it and records it on the request`, async () => {
    const env = {
      GITHUB_API_URL: github.url,
      GITHUB_TOKEN: "test-token-not-real",
      RUN_INDEX_DATA_DIR: join(cwd, "data"),
    }
    const args = [
      "dispatch",
      "apply",
      "--request",
      "req_e2e",
      "--repo",
      "acme/infra",
      "--workflow",
      "apply.yml",
    ]
    const result = await runCliInProcess(
      [...args, "--ref", "main", "--input", "request_id=req_e2e", "--json"],
      { env },
    )
    assert.strictEqual(result.code, 0, result.stderr)
    assert.notInclude(result.stdout + result.stderr, "test-token-not-real")
    const output = JSON.parse(result.stdout) as Record<string, unknown>
    assert.deepInclude(output, { requestId: "req_e2e", kind: "apply", attempt: 1, source })
    const document = JSON.parse(await readFile(join(cwd, "data/requests/req_e2e.json"), "utf8")) as {
      runs: { apply: { attempts: Array<{ runId: number }> } }
    }
    assert.strictEqual(document.runs.apply.attempts[0]?.runId, output.runId)
    const entry = JSON.parse(
      await readFile(join(cwd, `data/webhooks/github/run-index/apply/run-${output.runId}.json`), "utf8"),
    ) as { requestId: string }
    assert.strictEqual(entry.requestId, "req_e2e")
    const dispatches = github.requests.filter((request) => request.method === "POST")
    assert.strictEqual(dispatches.length, runDetails === "refused" ? 2 : 1)
  })
})
