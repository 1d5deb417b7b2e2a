import { randomUUID } from "node:crypto"
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3"
import { motoEndpoint } from "../../support/s3.js"
import { cliContract } from "./CliContract.js"

cliContract("S3 on moto", async () => {
  const endpoint = motoEndpoint()
  const bucket = `run-index-cli-${randomUUID().slice(0, 8)}`
  const client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true })
  await client.send(new CreateBucketCommand({ Bucket: bucket }))
  return {
    env: { TFPILOT_REQUESTS_BUCKET: bucket, AWS_ENDPOINT_URL_S3: endpoint, AWS_REGION: "us-east-1" },
    lifecycleRules: true,
    plant: async (path, body) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: path, Body: body }))
    },
    cleanup: async () => {
      client.destroy()
    },
  }
})
