import { HttpClient, HttpClientRequest, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { sign } from "@octokit/webhooks-methods"
import { Effect, Layer, Option, Redacted, Schema } from "effect"
import * as GitHubSimulator from "../../../src/adapters/github/GitHubSimulator.js"
import { makeRouter } from "../../../src/adapters/http/HttpService.js"
import { DeliveryId } from "../../../src/domain/WorkflowRunPayload.js"
import { DeliveryLog } from "../../../src/ports/DeliveryLog.js"
import { RequestStore } from "../../../src/ports/RequestStore.js"
import { dispatchRun } from "../../../src/programs/DispatchRun.js"
import { requestId } from "../../support/fixtures.js"
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
      const first = yield* post({ body, deliveryId: "delivery-fixed" })
      assert.deepStrictEqual(
        [first.status, first.body.source, first.body.requestId],
        [200, "index", "req_web"],
      )
      const again = yield* post({ body, deliveryId: "delivery-fixed" })
      assert.deepStrictEqual([again.status, again.body], [200, { duplicate: true }])
      const client = yield* HttpClient.HttpClient
      const metrics = yield* Effect.scoped(
        Effect.flatMap(client.get("/metrics"), (response) => response.text),
      )
      assert.match(metrics, /run_index_webhook_correlations_total\{source="index"\} [1-9]/)
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
})
