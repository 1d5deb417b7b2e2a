import { mkdtemp, readdir, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type RunningService, startService } from "../../support/service.js"

describe("POST /v1/requests/:requestId/dispatch on a service without GitHub credentials", () => {
  let service: RunningService
  let dataDirectory = ""
  beforeAll(async () => {
    dataDirectory = await mkdtemp(join(tmpdir(), "run-index-unconfigured-"))
    service = await startService({ RUN_INDEX_DATA_DIR: dataDirectory, RUN_INDEX_API_TOKEN: "token" })
  })
  afterAll(async () => {
    await service?.stop()
    await rm(dataDirectory, { recursive: true, force: true })
  })

  it("answers 503 naming the variables, and writes nothing", async () => {
    const response = await fetch(`${service.baseUrl}/v1/requests/req_http_unconfigured/dispatch`, {
      method: "POST",
      headers: { authorization: "Bearer token", "content-type": "application/json" },
      body: JSON.stringify({ kind: "apply", repo: "acme/infra", workflow: "apply.yml", ref: "main" }),
    })
    assert.strictEqual(response.status, 503)
    const body = (await response.json()) as { error: string; reason: string; detail: string }
    assert.deepInclude(body, { error: "not configured", reason: "NotConfigured" })
    assert.include(body.detail, "GITHUB_TOKEN")
    const requests = await readdir(join(dataDirectory, "requests")).catch(() => [])
    assert.deepStrictEqual(requests, [])
    const stillMissing = await readFile(join(dataDirectory, "requests/req_http_unconfigured.json")).then(
      () => false,
      () => true,
    )
    assert.isTrue(stillMissing)
  })
})
