import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { inject } from "vitest"
import { startService } from "../../support/service.js"

describe("GET /readyz on S3", () => {
  it("a bucket that does not exist answers 503 NotConfigured naming the bucket", async () => {
    const directory = await mkdtemp(join(tmpdir(), "run-index-readyz-"))
    const service = await startService({
      RUN_INDEX_DATA_DIR: directory,
      RUN_INDEX_REPLAY_INTERVAL: "off",
      TFPILOT_REQUESTS_BUCKET: "no-such-bucket-for-readyz",
      AWS_ENDPOINT_URL_S3: inject("motoEndpoint"),
      AWS_REGION: "us-east-1",
    })
    try {
      const answer = await fetch(`${service.baseUrl}/readyz`)
      assert.strictEqual(answer.status, 503)
      const body = (await answer.json()) as { error: string; reason: string; detail: string }
      assert.strictEqual(body.error, "store unavailable")
      assert.strictEqual(body.reason, "NotConfigured")
      assert.match(body.detail, /^s3:\/\/no-such-bucket-for-readyz\/.*NoSuchBucket/)
    } finally {
      await service.stop()
      await rm(directory, { recursive: true, force: true })
    }
  }, 60_000)
})
