import { mkdtemp, readdir, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { setTimeout as delay } from "node:timers/promises"
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import parsePrometheusText from "parse-prometheus-text-format"
import { inject } from "vitest"
import { type GitHubStandIn, startGitHubStandIn } from "../../support/GitHubStandIn.js"
import { type PausableProxy, startPausableProxy } from "../../support/PausableProxy.js"
import { requestDocumentWithRun, workflowRunPayload } from "../../support/payloads.js"
import { sampleOf } from "../../support/prometheus.js"
import { freshBucketName } from "../../support/s3.js"
import { type RunningService, startService } from "../../support/service.js"

const deliveries = 12
const deadlineMillis = 2_000
const readyTimeoutMillis = 500
const firstRun = 8_100
/** The spool takes all but three: those three are answered 503 and kept nowhere, for GitHub to redeliver. */
const spoolCapacity = deliveries - 3

/** The processed count on `/metrics`. */
const processedCount = async (service: RunningService) => {
  const text = await (await fetch(`${service.baseUrl}/metrics`)).text()
  const families = new Map(parsePrometheusText(text).map((family) => [family.name, family]))
  return sampleOf(families, "run_index_webhook_deliveries_total", { outcome: "processed" }) ?? 0
}

// Live clock and real sockets throughout: the S3 SDK's timeouts against moto behind a proxy that goes
// silent, the service's deadline, GitHub's redeliveries through the stand-in.
describe("a full store outage loses nothing", () => {
  const bucket = freshBucketName()
  let moto: S3Client
  let proxy: PausableProxy
  let github: GitHubStandIn
  let service: RunningService
  let dataDirectory = ""
  const secret = "outage-secret"

  beforeAll(async () => {
    const endpoint = inject("motoEndpoint")
    moto = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true })
    await moto.send(new CreateBucketCommand({ Bucket: bucket }))
    for (let index = 0; index < deliveries; index++) {
      const runId = firstRun + index
      const requestId = `req_outage_${index}`
      await moto.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `requests/${requestId}.json`,
          Body: JSON.stringify(requestDocumentWithRun("apply", runId)),
        }),
      )
      await moto.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `webhooks/github/run-index/apply/run-${runId}.json`,
          Body: JSON.stringify({
            kind: "apply",
            runId,
            requestId,
            createdAt: "2026-01-01T00:00:00.000Z",
            expiresAt: "2026-04-01T00:00:00.000Z",
          }),
        }),
      )
    }
    proxy = await startPausableProxy(endpoint)
    github = await startGitHubStandIn()
    dataDirectory = await mkdtemp(join(tmpdir(), "run-index-outage-"))
    service = await startService({
      TFPILOT_REQUESTS_BUCKET: bucket,
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_S3: proxy.url,
      RUN_INDEX_DATA_DIR: dataDirectory,
      RUN_INDEX_SPOOL_MAX_DELIVERIES: String(spoolCapacity),
      RUN_INDEX_S3_CONNECT_TIMEOUT: "200 millis",
      RUN_INDEX_S3_REQUEST_TIMEOUT: "300 millis",
      RUN_INDEX_WEBHOOK_DEADLINE: `${deadlineMillis} millis`,
      RUN_INDEX_READY_TIMEOUT: `${readyTimeoutMillis} millis`,
      RUN_INDEX_REPLAY_INTERVAL: "1 second",
      RUN_INDEX_RECOVER_INTERVAL: "2 seconds",
      RUN_INDEX_RECOVER_LOOKBACK: "1 hour",
      GITHUB_API_URL: github.url,
      GITHUB_TOKEN: "test-token-not-real",
      GITHUB_WEBHOOK_SECRET: secret,
      RUN_INDEX_GITHUB_HOOK: `repo:${github.hook.owner}/${github.hook.repo}/${github.hook.hookId}`,
    })
    github.hook.configure(`${service.baseUrl}/webhooks/github`, secret)
  })

  afterAll(async () => {
    await service?.stop()
    await proxy?.close()
    await github?.close()
    moto?.destroy()
    await rm(dataDirectory, { recursive: true, force: true })
  })

  it("every delivery and /readyz answer 503 within their deadlines while S3 is silent; once it answers, the spool drains, GitHub redelivers the rest, and every delivery is applied exactly once", async () => {
    const processedBefore = await processedCount(service)
    proxy.pause()
    const readyStarted = Date.now()
    const ready = await fetch(`${service.baseUrl}/readyz`)
    const readyMillis = Date.now() - readyStarted
    assert.strictEqual(ready.status, 503)
    assert.isBelow(readyMillis, readyTimeoutMillis + 1_000)

    const sent = await Promise.all(
      Array.from({ length: deliveries }, (_, index) =>
        github.hook.deliver(
          "workflow_run",
          JSON.stringify(workflowRunPayload({ id: firstRun + index, kind: "apply", status: "completed" })),
        ),
      ),
    )
    for (const attempt of sent) {
      assert.strictEqual(attempt.status_code, 503, `delivery ${attempt.guid}`)
      assert.isBelow(attempt.answeredAfterMillis, deadlineMillis + 1_000, `delivery ${attempt.guid}`)
    }
    // The processing goes on after the answer, into the local spool (the store cannot even park).
    let spooled: ReadonlyArray<string> = []
    for (let tries = 0; tries < 100 && spooled.length < spoolCapacity; tries++) {
      await delay(200)
      spooled = await readdir(join(dataDirectory, "spool")).catch(() => [])
      spooled = spooled.filter((name) => name.endsWith(".json"))
    }
    await delay(1_000)
    spooled = (await readdir(join(dataDirectory, "spool"))).filter((name) => name.endsWith(".json"))
    assert.strictEqual(spooled.length, spoolCapacity, service.output())

    proxy.resume()
    const completed = async () => {
      let done = 0
      for (let index = 0; index < deliveries; index++) {
        const object = await moto.send(
          new GetObjectCommand({ Bucket: bucket, Key: `requests/req_outage_${index}.json` }),
        )
        const document = JSON.parse(await object.Body!.transformToString()) as {
          runs: { apply: { attempts: Array<{ status: string; conclusion?: string }> } }
        }
        if (document.runs.apply.attempts[0]?.status === "completed") done += 1
      }
      return done
    }
    let done = 0
    for (let tries = 0; tries < 120 && done < deliveries; tries++) {
      await delay(500)
      done = await completed()
    }
    assert.strictEqual(done, deliveries, service.output())
    // The spool is empty and nothing stays parked.
    for (let tries = 0; tries < 40; tries++) {
      const left = (await readdir(join(dataDirectory, "spool"))).filter((name) => name.endsWith(".json"))
      if (left.length === 0) break
      await delay(250)
    }
    assert.deepStrictEqual(
      (await readdir(join(dataDirectory, "spool"))).filter((name) => name.endsWith(".json")),
      [],
    )
    // Those the spool could not take came back through GitHub: redelivered on the service's request.
    const spooledIds = new Set(spooled.map((name) => name.replace(/\.json$/, "")))
    const notKept = sent.filter((attempt) => !spooledIds.has(attempt.guid))
    assert.strictEqual(notKept.length, deliveries - spoolCapacity)
    for (const attempt of notKept) {
      assert.isTrue(
        github.hook.attempts.some(
          (each) => each.guid === attempt.guid && each.redelivery && each.status_code === 200,
        ),
        `delivery ${attempt.guid} redelivered and answered 200`,
      )
    }
    // Each delivery was processed to its end once: replays and GitHub's redeliveries of it were duplicates.
    assert.strictEqual((await processedCount(service)) - processedBefore, deliveries)
    for (const attempt of sent) {
      const recorded = await moto.send(
        new GetObjectCommand({ Bucket: bucket, Key: `webhooks/github/deliveries/${attempt.guid}.json` }),
      )
      assert.include(await recorded.Body!.transformToString(), '"outcome":"Patched"')
    }
  })
})
