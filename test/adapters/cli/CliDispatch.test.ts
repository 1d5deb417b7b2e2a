import { mkdtemp, readFile, rm } from "node:fs/promises"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { runCliInProcess } from "../../support/cli.js"
import { type GitHubStandIn, startGitHubStandIn } from "../../support/GitHubStandIn.js"

/** A loopback port that refuses connections: one a server listened on and closed. */
const closedPort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()))
    })
  })

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

describe("run-index dispatch that cannot succeed", () => {
  let cwd = ""
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "run-index-dispatch-fail-"))
  })
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true })
  })
  const args = (requestId: string) => [
    "dispatch",
    "apply",
    "--request",
    requestId,
    "--repo",
    "acme/infra",
    "--workflow",
    "apply.yml",
    "--ref",
    "main",
  ]

  it("without GitHub credentials: exit 2 naming the variable, a JSON error with --json, and nothing written", async () => {
    const env = { RUN_INDEX_DATA_DIR: join(cwd, "unconfigured") }
    const text = await runCliInProcess(args("req_unconfigured"), { env })
    assert.strictEqual(text.code, 2, text.stderr)
    assert.include(text.stderr, "GITHUB_TOKEN")
    const json = await runCliInProcess([...args("req_unconfigured"), "--json"], { env })
    assert.strictEqual(json.code, 2, json.stderr)
    const output = JSON.parse(json.stdout) as { error: string; detail: string }
    assert.strictEqual(output.error, "not configured")
    assert.include(output.detail, "GITHUB_TOKEN")
    const written = await readFile(join(cwd, "unconfigured/requests/req_unconfigured.json"), "utf8").then(
      () => true,
      () => false,
    )
    assert.isFalse(written, "no request document is created")
  })

  it("a refused connection to GitHub is a failure at once (exit 1), stored on the attempt as dispatch_failed", async () => {
    const env = {
      RUN_INDEX_DATA_DIR: join(cwd, "refused"),
      GITHUB_API_URL: `http://127.0.0.1:${await closedPort()}`,
      GITHUB_TOKEN: "test-token-not-real",
      GITHUB_ACTOR: "octocat",
    }
    const started = Date.now()
    const result = await runCliInProcess([...args("req_refused"), "--json"], { env })
    assert.strictEqual(result.code, 1, result.stderr)
    assert.isBelow(Date.now() - started, 20_000, "no polling for a run that cannot exist")
    const output = JSON.parse(result.stdout) as { error: string; reason: string }
    assert.deepInclude(output, { error: "dispatch refused", reason: "ConnectionRefused" })
    const document = JSON.parse(await readFile(join(cwd, "refused/requests/req_refused.json"), "utf8")) as {
      runs: { apply: { attempts: Array<{ status: string; conclusion?: string; dispatchError?: unknown }> } }
    }
    const attempt = document.runs.apply.attempts[0]
    assert.strictEqual(attempt?.status, "completed")
    assert.strictEqual(attempt?.conclusion, "dispatch_failed")
    assert.include(JSON.stringify(attempt?.dispatchError), "ECONNREFUSED")
  })

  it("the issue's GITHUB_API_URL=http://127.0.0.1:1 (a port fetch never connects to) fails the same way", async () => {
    const env = {
      RUN_INDEX_DATA_DIR: join(cwd, "bad-port"),
      GITHUB_API_URL: "http://127.0.0.1:1",
      GITHUB_TOKEN: "test-token-not-real",
      GITHUB_ACTOR: "octocat",
    }
    const result = await runCliInProcess(args("req_bad_port"), { env })
    assert.strictEqual(result.code, 1, result.stderr)
    assert.include(result.stderr, "ConnectionRefused")
  })
})
