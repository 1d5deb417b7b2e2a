import { randomUUID } from "node:crypto"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3"
import { inject } from "vitest"
import { cliContract } from "./CliContract.js"

cliContract("S3 on moto", async () => {
  const endpoint = inject("motoEndpoint")
  const bucket = `run-index-cli-${randomUUID().slice(0, 8)}`
  const client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true })
  await client.send(new CreateBucketCommand({ Bucket: bucket }))
  const cwd = await mkdtemp(join(tmpdir(), "run-index-cli-s3-"))
  return {
    cwd,
    env: { TFPILOT_REQUESTS_BUCKET: bucket, AWS_ENDPOINT_URL_S3: endpoint, AWS_REGION: "us-east-1" },
    lifecycleRules: true,
    plant: async (path, body) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: path, Body: body }))
    },
    cleanup: async () => {
      client.destroy()
      await rm(cwd, { recursive: true, force: true })
    },
  }
})
