import { createHmac } from "node:crypto"
import { HttpClient, HttpClientRequest, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { sign } from "@octokit/webhooks-methods"
import { Effect, Fiber, Layer, Option, Redacted, Ref, Schema, TestClock } from "effect"
import { makeRouter } from "../../../src/adapters/http/HttpService.js"
import { DeliveryId } from "../../../src/domain/WorkflowRunPayload.js"
import { DeliveryLog } from "../../../src/ports/DeliveryLog.js"
import { RequestStore } from "../../../src/ports/RequestStore.js"
import { dispatchRun } from "../../../src/programs/DispatchRun.js"
import { replayParked } from "../../../src/programs/Webhooks.js"
import * as FaultSwitchLayer from "../../../src/simulation/adapters/FaultSwitch.js"
import { FaultSwitch } from "../../../src/simulation/adapters/FaultSwitch.js"
import * as GitHubSimulator from "../../../src/simulation/adapters/github/GitHubSimulator.js"
import { requestId, runId } from "../../support/fixtures.js"
import { sampleOf, scrape } from "../../support/prometheus.js"
import { repository, world } from "../../support/world.js"

const current = "current-secret"
const previous = "previous-secret"
const maxBytes = 64 * 1024

const service = HttpServer.serve(
  makeRouter({
    apiToken: Redacted.make("token"),
    webhook: { secrets: [Redacted.make(current), Redacted.make(previous)], maxBytes },
  }),
).pipe(Layer.provideMerge(NodeHttpServer.layerTest), Layer.provideMerge(world({ mode: "run-details" })))

const faultyService = HttpServer.serve(
  makeRouter({ apiToken: Redacted.make("token"), webhook: { secrets: [Redacted.make(current)], maxBytes } }),
).pipe(
  Layer.provideMerge(NodeHttpServer.layerTest),
  Layer.provideMerge(world({ mode: "run-details" }, FaultSwitchLayer.layerMemory)),
)

/** Posts a body with a signature header exactly as given. */
const postSigned = (body: string, signature: string, event: string) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(
      HttpClientRequest.post("/webhooks/github").pipe(
        HttpClientRequest.setHeaders({
          "x-github-event": event,
          "x-github-delivery": `signed-${++counter}`,
          "x-hub-signature-256": signature,
        }),
        HttpClientRequest.bodyText(body, "application/json"),
      ),
    )
    return { status: response.status }
  }).pipe(Effect.scoped)

let counter = 0
const post = (options: {
  readonly body: string
  readonly secret?: string | null
  readonly event?: string
  readonly deliveryId?: string | null
}) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const signature =
      options.secret === null
        ? undefined
        : yield* Effect.promise(() => sign(options.secret ?? current, options.body))
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "x-github-event": options.event ?? "workflow_run",
      ...(options.deliveryId === null
        ? {}
        : { "x-github-delivery": options.deliveryId ?? `delivery-${++counter}` }),
      ...(signature === undefined ? {} : { "x-hub-signature-256": signature }),
    }
    const response = yield* client.execute(
      HttpClientRequest.post("/webhooks/github").pipe(
        HttpClientRequest.setHeaders(headers),
        HttpClientRequest.bodyText(options.body, "application/json"),
      ),
    )
    return { status: response.status, body: (yield* response.json) as Record<string, unknown> }
  }).pipe(Effect.scoped)

describe("POST /webhooks/github over a real socket", () => {
  it.effect("a signed workflow_run patches the attempt that owns the run; a redelivery is a duplicate", () =>
    Effect.gen(function* () {
      const simulator = yield* GitHubSimulator.GitHubSimulator
      yield* dispatchRun({
        kind: "apply",
        requestId: requestId("req_web"),
        repository,
        workflow: "apply.yml",
        ref: "main",
        inputs: { request_id: "req_web" },
      })
      const [requested] = yield* simulator.publishedEvents
      const body = JSON.stringify({ ...requested, extra: { ignored: true } })
      // The metric registry is the test worker's, shared with other files: compare before and after.
      const counts = Effect.map(scrape, ({ families, text }) => {
        const timed = (outcome: string) =>
          Number(
            new RegExp(
              `^run_index_webhook_processing_seconds_count\\{outcome="${outcome}"\\} (\\d+)$`,
              "m",
            ).exec(text)?.[1] ?? Number.NaN,
          )
        return {
          indexCorrelations:
            sampleOf(families, "run_index_webhook_correlations_total", { source: "index" }) ?? 0,
          processed: sampleOf(families, "run_index_webhook_deliveries_total", { outcome: "processed" }) ?? 0,
          duplicates: sampleOf(families, "run_index_webhook_deliveries_total", { outcome: "duplicate" }) ?? 0,
          hits: sampleOf(families, "run_index_index_lookups_total", { result: "hit" }) ?? 0,
          // The parser folds a labelled histogram into one sample, so its per-outcome counts are read from the text.
          processedTimed: timed("processed"),
          duplicatesTimed: timed("duplicate"),
          histogram: families.get("run_index_webhook_processing_seconds")?.type === "HISTOGRAM" ? 1 : 0,
        }
      })
      const before = yield* counts
      const first = yield* post({ body, deliveryId: "delivery-fixed" })
      assert.deepStrictEqual(
        [first.status, first.body.source, first.body.requestId],
        [200, "index", "req_web"],
      )
      const again = yield* post({ body, deliveryId: "delivery-fixed" })
      assert.deepStrictEqual([again.status, again.body], [200, { duplicate: true }])
      const after = yield* counts
      assert.deepStrictEqual(
        Object.fromEntries(
          Object.entries(after).map(([name, count]) => [name, count - before[name as keyof typeof before]]),
        ),
        {
          // The redelivery is applied again (changing nothing) before its record shows it a duplicate.
          indexCorrelations: 2,
          processed: 1,
          duplicates: 1,
          hits: 2,
          processedTimed: 1,
          duplicatesTimed: 1,
          histogram: 0,
        },
      )
      assert.strictEqual(after.histogram, 1)
      const read = yield* (yield* RequestStore).get(requestId("req_web"))
      assert.strictEqual(
        read._tag === "Found" ? read.document.runs.apply?.attempts[0]?.headSha : read._tag,
        requested?.workflow_run.head_sha,
      )
    }).pipe(Effect.provide(service)),
  )

  it.effect("a body signed with the previous secret is accepted during rotation", () =>
    Effect.gen(function* () {
      const response = yield* post({ body: JSON.stringify({ zen: "ok" }), event: "ping", secret: previous })
      assert.deepStrictEqual([response.status, response.body], [200, { pong: true }])
    }).pipe(Effect.provide(service)),
  )

  it.effect("a missing or wrong signature is 401 and records nothing", () =>
    Effect.gen(function* () {
      const unsigned = yield* post({ body: "{}", secret: null, deliveryId: "delivery-unsigned" })
      assert.strictEqual(unsigned.status, 401)
      const wrong = yield* post({
        body: "{}",
        secret: "not-our-secret",
        deliveryId: "delivery-wrong",
        event: "push",
      })
      assert.strictEqual(wrong.status, 401)
      const log = yield* DeliveryLog
      assert.isTrue(Option.isNone(yield* log.processed(Schema.decodeSync(DeliveryId)("delivery-wrong"))))
    }).pipe(Effect.provide(service)),
  )

  it.effect("no delivery id is 400; a malformed workflow_run is 400 naming the problem", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* post({ body: "{}", deliveryId: null })).status, 400)
      const malformed = yield* post({
        body: JSON.stringify({ action: "completed", workflow_run: { id: -1 } }),
      })
      assert.strictEqual(malformed.status, 400)
      assert.include(String(malformed.body.detail), "workflow_run")
    }).pipe(Effect.provide(service)),
  )

  it.effect("other events are 202 and recorded; an oversized body is 413", () =>
    Effect.gen(function* () {
      const push = yield* post({ body: JSON.stringify({ ref: "main" }), event: "push" })
      assert.deepStrictEqual([push.status, push.body], [202, { ignored: "push" }])
      const huge = yield* post({ body: JSON.stringify({ padding: "x".repeat(maxBytes) }) })
      assert.strictEqual(huge.status, 413)
    }).pipe(Effect.provide(service)),
  )

  it.effect(
    "every malformed signature is 401: wrong prefix, wrong length, wrong digest, uppercase hex, empty secret, altered body",
    () =>
      Effect.gen(function* () {
        const body = JSON.stringify({ zen: "signed" })
        const good = yield* Effect.promise(() => sign(current, body))
        const digest = good.slice("sha256=".length)
        const attempts = [
          `sha1=${digest}`,
          `sha256=${digest.slice(0, -2)}`,
          `sha256=${digest.slice(0, -1)}${digest.endsWith("0") ? "1" : "0"}`,
          `sha256=${digest.toUpperCase()}`,
          `sha256=${createHmac("sha256", "").update(body).digest("hex")}`,
        ]
        for (const signature of attempts) {
          const response = yield* postSigned(body, signature, "ping")
          assert.strictEqual(response.status, 401, signature)
        }
        const altered = yield* postSigned(JSON.stringify({ zen: "altered" }), good, "ping")
        assert.strictEqual(altered.status, 401)
        assert.strictEqual((yield* postSigned(body, good, "ping")).status, 200)
      }).pipe(Effect.provide(service)),
  )

  it.effect(
    "end to end: every event of several runs, shuffled and repeated, through the endpoint leaves each attempt as GitHub holds it",
    () =>
      Effect.gen(function* () {
        const simulator = yield* GitHubSimulator.GitHubSimulator
        const ids = ["req_e2e_a", "req_e2e_b", "req_e2e_c", "req_e2e_d"]
        for (const id of ids) {
          yield* dispatchRun({
            kind: "apply",
            requestId: requestId(id),
            repository,
            workflow: "apply.yml",
            ref: "main",
            inputs: { request_id: id },
          })
        }
        yield* TestClock.adjust("5 minutes")
        const events = yield* simulator.publishedEvents
        const deliveries = events.flatMap((event, index) => [
          { event, deliveryId: `e2e-${index}` },
          ...(index % 2 === 0 ? [{ event, deliveryId: `e2e-${index}` }] : []),
        ])
        const shuffled = deliveries
          .map((each, index) => ({ each, key: (index * 7919) % deliveries.length }))
          .sort((a, b) => a.key - b.key)
        for (const { each } of shuffled) {
          const response = yield* post({ body: JSON.stringify(each.event), deliveryId: each.deliveryId })
          assert.include([200], response.status)
        }
        const runs = new Map((yield* simulator.runs).map((run) => [run.id, run]))
        for (const id of ids) {
          const read = yield* (yield* RequestStore).get(requestId(id))
          const attempt = read._tag === "Found" ? read.document.runs.apply?.attempts[0] : undefined
          const run = runs.get(attempt?.runId ?? runId(1))
          assert.deepStrictEqual(
            [attempt?.status, attempt?.conclusion, attempt?.runAttempt],
            [run?.status, run?.conclusion, run?.runAttempt],
            id,
          )
        }
      }).pipe(Effect.provide(service)),
  )

  it.effect(
    "a store failure parks the delivery (503), records nothing, and a replay after the fault applies it once",
    () =>
      Effect.gen(function* () {
        const simulator = yield* GitHubSimulator.GitHubSimulator
        const fault = yield* FaultSwitch
        yield* dispatchRun({
          kind: "apply",
          requestId: requestId("req_fault"),
          repository,
          workflow: "apply.yml",
          ref: "main",
          inputs: { request_id: "req_fault" },
        })
        yield* TestClock.adjust("2 minutes")
        const completed = (yield* simulator.publishedEvents).find((event) => event.action === "completed")
        yield* Ref.set(fault, { on: true, prefix: "requests/" })
        const fiber = yield* Effect.fork(
          post({ body: JSON.stringify(completed), deliveryId: "delivery-fault" }),
        )
        yield* TestClock.adjust("1 minute")
        const parked = yield* Fiber.join(fiber)
        assert.deepStrictEqual([parked.status, parked.body.parked], [503, true])
        const log = yield* DeliveryLog
        assert.isTrue(Option.isNone(yield* log.processed(Schema.decodeSync(DeliveryId)("delivery-fault"))))
        yield* Ref.set(fault, { on: false, prefix: "requests/" })
        assert.deepStrictEqual(yield* replayParked(), { replayed: 1, stillParked: 0, unreadable: 0 })
        assert.deepStrictEqual(yield* replayParked(), { replayed: 0, stillParked: 0, unreadable: 0 })
        const read = yield* (yield* RequestStore).get(requestId("req_fault"))
        const attempt = read._tag === "Found" ? read.document : undefined
        assert.strictEqual(attempt?.runs.apply?.attempts[0]?.status, "completed")
        // Created, run attached, then this one event applied once: version 3.
        assert.strictEqual(attempt?.version, 3)
      }).pipe(Effect.provide(faultyService)),
  )
})
