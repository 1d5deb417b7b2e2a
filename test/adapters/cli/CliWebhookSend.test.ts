import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { runCliInProcess } from "../../support/cli.js"
import { type RunningService, startService } from "../../support/service.js"

const examples = join(import.meta.dirname, "../../../examples")
const example = (name: string) => join(examples, name)
const runId = 21234567890

describe("run-index webhook send, against the service over a socket", () => {
  let cwd = ""
  let data = ""
  let service: RunningService
  let env: Record<string, string> = {}
  const cli = (...args: Array<string>) => runCliInProcess(args, { env })

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "run-index-webhook-send-"))
    data = join(cwd, "data")
    // No GITHUB_WEBHOOK_SECRET: the service generates one into the data directory, and the CLI reads it there.
    service = await startService({ RUN_INDEX_DATA_DIR: data })
    env = {
      RUN_INDEX_DATA_DIR: data,
      TFPILOT_REQUESTS_BUCKET: "",
      GITHUB_WEBHOOK_SECRET: "",
      PORT: String(service.port),
    }
  })
  afterAll(async () => {
    await service?.stop()
    await rm(cwd, { recursive: true, force: true })
  })

  it("the shipped examples, sent in order, leave the example request's apply attempt completed; a resent delivery is a duplicate", async () => {
    await mkdir(join(data, "requests"), { recursive: true })
    await copyFile(example("requests/req_example.json"), join(data, "requests/req_example.json"))
    const secret = await readFile(join(data, "webhook-secret"), "utf8").then((text) => text.trim())

    const sources: Array<string> = []
    for (const action of ["requested", "in_progress"]) {
      const sent = await cli(
        "webhook",
        "send",
        "--event",
        "workflow_run",
        "--file",
        example(`workflow_run.${action}.json`),
      )
      assert.strictEqual(sent.code, 0, `${action}: ${sent.stdout}${sent.stderr}\n${service.output()}`)
      const [statusLine, body] = sent.stdout.trim().split("\n")
      assert.match(
        statusLine ?? "",
        new RegExp(
          `^200 from http://127\\.0\\.0\\.1:${service.port}/webhooks/github \\(delivery [0-9a-f-]{36}\\)$`,
        ),
      )
      const answer = JSON.parse(body ?? "") as Record<string, unknown>
      assert.deepInclude(answer, { outcome: "Patched", requestId: "req_example", kind: "apply" })
      sources.push(String(answer.source))
      assert.notInclude(sent.stdout + sent.stderr, secret)
    }
    // The first event finds the request by the run's title and claims the index entry; the next uses it.
    assert.deepStrictEqual(sources, ["title", "index"])

    const completedArgs = ["--event", "workflow_run", "--file", example("workflow_run.completed.json")]
    const completed = await cli(
      "webhook",
      "send",
      ...completedArgs,
      "--delivery",
      "example-completed",
      "--json",
    )
    assert.strictEqual(completed.code, 0, completed.stderr)
    assert.deepStrictEqual(JSON.parse(completed.stdout), {
      deliveryId: "example-completed",
      url: `http://127.0.0.1:${service.port}/webhooks/github`,
      status: 200,
      body: { outcome: "Patched", source: "index", requestId: "req_example", kind: "apply" },
    })
    assert.notInclude(completed.stdout + completed.stderr, secret)

    const stored = JSON.parse(await readFile(join(data, "requests/req_example.json"), "utf8")) as {
      version: number
      module: string
      runs: { apply: { attempts: Array<Record<string, unknown>> } }
    }
    assert.deepInclude(stored.runs.apply.attempts[0], {
      status: "completed",
      conclusion: "success",
      completedAt: "2026-03-02T09:03:41.000Z",
      runId,
      runAttempt: 1,
      url: `https://github.com/acme/infra/actions/runs/${runId}`,
      headSha: "9f2c4e1a7b3d5f6089a1b2c3d4e5f60718293a4b",
    })
    assert.strictEqual(stored.version, 4)
    assert.strictEqual(stored.module, "ec2-instance", "fields run-index does not know are kept")
    const entry = JSON.parse(
      await readFile(join(data, `webhooks/github/run-index/apply/run-${runId}.json`), "utf8"),
    ) as { requestId: string }
    assert.strictEqual(entry.requestId, "req_example", "the first event claimed the index entry")
    const token = (await readFile(join(data, "api-token"), "utf8")).trim()
    const viaApi = await fetch(`${service.baseUrl}/v1/requests/req_example`, {
      headers: { authorization: `Bearer ${token}` },
    })
    assert.strictEqual(viaApi.status, 200)
    assert.deepStrictEqual(await viaApi.json(), stored)

    const again = await cli("webhook", "send", ...completedArgs, "--delivery", "example-completed", "--json")
    assert.strictEqual(again.code, 0, again.stderr)
    assert.deepInclude(JSON.parse(again.stdout), { status: 200, body: { duplicate: true } })
    const unchanged = JSON.parse(await readFile(join(data, "requests/req_example.json"), "utf8")) as {
      version: number
    }
    assert.strictEqual(unchanged.version, 4)
  })

  it("an answer that is not 2xx exits 1 and shows the status and body, never the secret", async () => {
    const wrong = "not-the-service-secret"
    const rejected = await runCliInProcess(
      [
        "webhook",
        "send",
        "--event",
        "ping",
        "--file",
        example("workflow_run.requested.json"),
        "--url",
        `${service.baseUrl}/webhooks/github`,
      ],
      { env: { ...env, GITHUB_WEBHOOK_SECRET: wrong } },
    )
    assert.strictEqual(rejected.code, 1)
    assert.match(rejected.stdout, /^401 from /)
    assert.include(rejected.stdout, "invalid signature")
    assert.notInclude(rejected.stdout + rejected.stderr, wrong)
  })

  it("a file that is not JSON, or a URL that is not http(s), is a usage error naming the option", async () => {
    await writeFile(join(cwd, "not-json.json"), "{ not json")
    const cases: Array<[Array<string>, string]> = [
      [["--event", "workflow_run", "--file", join(cwd, "missing.json")], "--file"],
      [["--event", "workflow_run", "--file", join(cwd, "not-json.json")], "not JSON"],
      [["--event", "Workflow Run!", "--file", example("workflow_run.requested.json")], "--event"],
      [
        ["--event", "ping", "--file", example("workflow_run.requested.json"), "--url", "ftp://host/x"],
        "--url",
      ],
      [
        ["--event", "ping", "--file", example("workflow_run.requested.json"), "--delivery", "../x"],
        "--delivery",
      ],
    ]
    for (const [args, named] of cases) {
      const result = await cli("webhook", "send", ...args)
      assert.strictEqual(result.code, 2, args.join(" "))
      assert.include(result.stdout + result.stderr, named, args.join(" "))
    }
  })

  it("no secret to sign with, or nothing listening, fails saying so", async () => {
    const send = ["webhook", "send", "--event", "ping", "--file", example("workflow_run.requested.json")]
    const elsewhere = await runCliInProcess(send, { env: { ...env, RUN_INDEX_DATA_DIR: join(cwd, "empty") } })
    assert.strictEqual(elsewhere.code, 1)
    assert.include(elsewhere.stderr, "GITHUB_WEBHOOK_SECRET")
    assert.include(elsewhere.stderr, join(cwd, "empty", "webhook-secret"))

    await service.stop()
    const refused = await cli(...send)
    assert.strictEqual(refused.code, 1)
    assert.include(refused.stderr, `cannot reach http://127.0.0.1:${service.port}/webhooks/github`)
    assert.include(refused.stderr, "ECONNREFUSED")
  })
})
