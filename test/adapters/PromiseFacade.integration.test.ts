import { randomUUID } from "node:crypto"
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { inject } from "vitest"
import {
  type RunIndex,
  RunIndexInputError,
  RunIndexUnavailableError,
} from "../../src/adapters/PromiseFacade.js"
import { createRunIndex } from "../../src/app/Library.js"
import { seedBody } from "../support/fixtures.js"

describe("the Promise facade on moto", () => {
  const endpoint = inject("motoEndpoint")
  const bucket = `run-index-facade-${randomUUID().slice(0, 8)}`
  const client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true })
  let runIndex: RunIndex

  beforeAll(async () => {
    await client.send(new CreateBucketCommand({ Bucket: bucket }))
    runIndex = createRunIndex({ bucket, endpoint, region: "us-east-1" })
  })
  afterAll(async () => {
    await runIndex.close()
    client.destroy()
  })

  const rawBody = async (key: string) => {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    return {
      body: await object.Body?.transformToString(),
      contentType: object.ContentType,
      sse: object.ServerSideEncryption,
    }
  }

  it("putRunIndex writes the seed's key and compact JSON, encrypted, as application/json", async () => {
    await runIndex.putRunIndex("apply", 555, "req_facade")
    const stored = await rawBody("webhooks/github/run-index/apply/run-555.json")
    assert.match(
      stored.body ?? "",
      /^\{"kind":"apply","runId":555,"requestId":"req_facade","createdAt":"[^"]+","expiresAt":"[^"]+"\}$/,
    )
    assert.strictEqual(stored.contentType, "application/json")
    assert.strictEqual(stored.sse, "AES256")
    assert.strictEqual(await runIndex.getRequestIdByRunId("apply", "555"), "req_facade")
  })

  it("reads entries an earlier writer left, and resolves null for missing or invalid ones", async () => {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "webhooks/github/run-index/apply/run-123456790.json",
        Body: seedBody,
      }),
    )
    assert.strictEqual(await runIndex.getRequestIdByRunId("apply", 123456790), "req_dev_ec2_abc")
    assert.isNull(await runIndex.getRequestIdByRunId("apply", 999))
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "webhooks/github/run-index/apply/run-998.json",
        Body: "{}",
      }),
    )
    assert.isNull(await runIndex.getRequestIdByRunId("apply", 998))
  })

  it("claimRun reports claimed, already yours and the other owner", async () => {
    assert.strictEqual((await runIndex.claimRun("plan", 42, "req_one")).status, "claimed")
    assert.strictEqual((await runIndex.claimRun("plan", 42, "req_one")).status, "already-yours")
    const lost = await runIndex.claimRun("plan", 42, "req_two")
    assert.deepInclude(lost, { status: "owned-by-other", owner: "req_one" })
  })

  it("the deprecated destroy functions use the destroy kind", async () => {
    await runIndex.putDestroyRunIndex(77, "req_destroy")
    assert.strictEqual(await runIndex.getRequestIdByDestroyRunIdIndexed(77), "req_destroy")
    assert.strictEqual(await runIndex.getRequestIdByRunId("destroy", 77), "req_destroy")
  })

  it("bad input rejects naming the field and writes nothing", async () => {
    const rejection = await runIndex.putRunIndex("apply", 0, "req_a").catch((error: unknown) => error)
    assert.instanceOf(rejection, RunIndexInputError)
    assert.strictEqual((rejection as RunIndexInputError).field, "runId")
    const badKind = await runIndex.getRequestIdByRunId("deploy", 1).catch((error: unknown) => error)
    assert.strictEqual((badKind as RunIndexInputError).field, "kind")
    const badRequest = await runIndex.claimRun("plan", 9, "../up").catch((error: unknown) => error)
    assert.strictEqual((badRequest as RunIndexInputError).field, "requestId")
    assert.isNull(await runIndex.getRequestIdByRunId("plan", 9))
  })

  it("an unreachable bucket rejects with the reason, or resolves null when asked to", async () => {
    const missingBucket = createRunIndex({
      bucket: `no-such-${randomUUID().slice(0, 8)}`,
      endpoint,
      region: "us-east-1",
    })
    const rejection = await missingBucket.getRequestIdByRunId("plan", 1).catch((error: unknown) => error)
    assert.instanceOf(rejection, RunIndexUnavailableError)
    assert.strictEqual((rejection as RunIndexUnavailableError).reason, "NotConfigured")
    await missingBucket.close()
    const lenient = createRunIndex({
      bucket: `no-such-${randomUUID().slice(0, 8)}`,
      endpoint,
      region: "us-east-1",
      onUnavailable: "null",
    })
    assert.isNull(await lenient.getRequestIdByRunId("plan", 1))
    await lenient.close()
  })
})
