import { HttpClient, HttpClientRequest, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schema, Stream } from "effect"
import { makeRouter } from "../../../src/adapters/http/HttpService.js"
import * as ObjectDeliveryLog from "../../../src/adapters/ObjectDeliveryLog.js"
import * as ObjectDispatchLanes from "../../../src/adapters/ObjectDispatchLanes.js"
import * as ObjectRequestStore from "../../../src/adapters/ObjectRequestStore.js"
import * as ObjectRunIndexStore from "../../../src/adapters/ObjectRunIndexStore.js"
import * as MemoryObjectStore from "../../../src/adapters/objects/MemoryObjectStore.js"
import { ObjectStore, WriteCondition } from "../../../src/adapters/objects/ObjectStore.js"
import { RepositoryName } from "../../../src/domain/WorkflowRun.js"
import type { RunIndexStore } from "../../../src/ports/RunIndexStore.js"
import { StoreError } from "../../../src/ports/StoreError.js"
import * as GitHubSimulator from "../../../src/simulation/adapters/github/GitHubSimulator.js"
import { seedBody } from "../../support/fixtures.js"

const token = "test-token-123"

const repository = Schema.decodeSync(RepositoryName)("acme/infra")
const github = GitHubSimulator.layer({
  mode: "run-details",
  workflows: [{ repository, file: "apply.yml", name: "Apply", declaredInputs: ["request_id"] }],
})

const serviceOn = (store: Layer.Layer<RunIndexStore | ObjectStore>) =>
  HttpServer.serve(
    makeRouter({
      apiToken: Redacted.make(token),
      webhook: { secrets: [Redacted.make("secret")], maxBytes: 1024 },
    }),
  ).pipe(
    Layer.provideMerge(NodeHttpServer.layerTest),
    Layer.provideMerge(
      Layer.mergeAll(
        store,
        ObjectRequestStore.layer.pipe(Layer.provide(store)),
        ObjectDeliveryLog.layer.pipe(Layer.provide(store)),
        ObjectDispatchLanes.layer.pipe(Layer.provide(store)),
        github,
      ),
    ),
  )

const memoryStore = ObjectRunIndexStore.layer.pipe(Layer.provideMerge(MemoryObjectStore.layerMemory))

const throttled = new StoreError({ reason: "Throttled", operation: "get", detail: "SlowDown" })
const throttledStore = ObjectRunIndexStore.layer.pipe(
  Layer.provideMerge(
    Layer.succeed(
      ObjectStore,
      ObjectStore.of({
        get: () => Effect.fail(throttled),
        put: () => Effect.fail(throttled),
        delete: () => Effect.fail(throttled),
        deleteMany: () => Effect.fail(throttled),
        list: () => Stream.fail(throttled),
      }),
    ),
  ),
)

const call = (path: string, authorization: string | null = `Bearer ${token}`, body?: unknown) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const base =
      body === undefined
        ? HttpClientRequest.get(path)
        : HttpClientRequest.post(path).pipe(HttpClientRequest.bodyUnsafeJson(body))
    const request = base.pipe(
      authorization === null
        ? (request) => request
        : HttpClientRequest.setHeader("authorization", authorization),
    )
    const response = yield* client.execute(request)
    return { status: response.status, body: (yield* response.json) as Record<string, unknown> }
  }).pipe(Effect.scoped)

describe("HTTP service over a real socket", () => {
  it.effect("healthz and readyz answer 200 when the store answers", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* call("/healthz", null)).status, 200)
      assert.deepStrictEqual(yield* call("/readyz", null), { status: 200, body: { status: "ready" } })
    }).pipe(Effect.provide(serviceOn(memoryStore))),
  )

  it.effect("a stored entry is returned exactly as stored", () =>
    Effect.gen(function* () {
      const objects = yield* ObjectStore
      yield* objects.put(
        "webhooks/github/run-index/apply/run-123456790.json",
        seedBody,
        WriteCondition.Always(),
      )
      const found = yield* call("/v1/run-index/apply/123456790")
      assert.strictEqual(found.status, 200)
      assert.deepStrictEqual(found.body, JSON.parse(seedBody))
    }).pipe(Effect.provide(serviceOn(memoryStore))),
  )

  it.effect("a missing entry is 404 and an invalid one is 422 with its reason", () =>
    Effect.gen(function* () {
      const objects = yield* ObjectStore
      yield* objects.put("webhooks/github/run-index/plan/run-7.json", "{", WriteCondition.Always())
      assert.strictEqual((yield* call("/v1/run-index/plan/8")).status, 404)
      const invalid = yield* call("/v1/run-index/plan/7")
      assert.strictEqual(invalid.status, 422)
      assert.strictEqual(invalid.body.reason, "NotJson")
    }).pipe(Effect.provide(serviceOn(memoryStore))),
  )

  it.effect("a bad kind or run id is 400 naming the parameter", () =>
    Effect.gen(function* () {
      const badKind = yield* call("/v1/run-index/deploy/1")
      assert.deepStrictEqual([badKind.status, badKind.body.parameter], [400, "kind"])
      const badRunId = yield* call("/v1/run-index/plan/-3")
      assert.deepStrictEqual([badRunId.status, badRunId.body.parameter], [400, "runId"])
    }).pipe(Effect.provide(serviceOn(memoryStore))),
  )

  it.effect("/v1 without the bearer token, or with a wrong one, is 401 and reads nothing", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* call("/v1/run-index/plan/1", null)).status, 401)
      assert.strictEqual((yield* call("/v1/run-index/plan/1", "Bearer wrong")).status, 401)
      assert.strictEqual((yield* call("/v1/run-index/plan/1", `Basic ${token}`)).status, 401)
    }).pipe(Effect.provide(serviceOn(memoryStore))),
  )

  it.effect("a throttled store is 503 with the reason, never a 404", () =>
    Effect.gen(function* () {
      const lookup = yield* call("/v1/run-index/plan/1")
      assert.deepStrictEqual([lookup.status, lookup.body.reason], [503, "Throttled"])
      assert.strictEqual((yield* call("/readyz", null)).status, 503)
    }).pipe(Effect.provide(serviceOn(throttledStore))),
  )

  it.effect("an unknown route is 404", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* call("/nope", null)).status, 404)
    }).pipe(Effect.provide(serviceOn(memoryStore))),
  )

  it.effect("POST dispatch appends an attempt, resolves the run, and GET shows it on the request", () =>
    Effect.gen(function* () {
      const dispatched = yield* call("/v1/requests/req_http/dispatch", `Bearer ${token}`, {
        kind: "apply",
        repo: "acme/infra",
        workflow: "apply.yml",
        ref: "main",
        inputs: { request_id: "req_http" },
      })
      assert.strictEqual(dispatched.status, 200)
      assert.deepInclude(dispatched.body, {
        requestId: "req_http",
        kind: "apply",
        attempt: 1,
        source: "run-details",
      })
      assert.isNumber(dispatched.body.runId)
      const request = yield* call("/v1/requests/req_http")
      assert.strictEqual(request.status, 200)
      const attempts = (request.body.runs as { apply: { attempts: Array<{ runId: number }> } }).apply.attempts
      assert.strictEqual(attempts[0]?.runId, dispatched.body.runId)
    }).pipe(Effect.provide(serviceOn(memoryStore))),
  )

  it.effect("POST dispatch with a bad body is 400 naming the field and creates nothing", () =>
    Effect.gen(function* () {
      const bad = yield* call("/v1/requests/req_bad_body/dispatch", `Bearer ${token}`, {
        kind: "deploy",
        repo: "acme/infra",
        workflow: "apply.yml",
        ref: "main",
      })
      assert.strictEqual(bad.status, 400)
      assert.include(String(bad.body.detail), "kind")
      assert.strictEqual((yield* call("/v1/requests/req_bad_body")).status, 404)
    }).pipe(Effect.provide(serviceOn(memoryStore))),
  )

  it.effect(
    "inputs the workflow does not declare are refused by GitHub: 422, and the attempt is marked failed",
    () =>
      Effect.gen(function* () {
        const refused = yield* call("/v1/requests/req_extra/dispatch", `Bearer ${token}`, {
          kind: "apply",
          repo: "acme/infra",
          workflow: "apply.yml",
          ref: "main",
          inputs: { surprise: "yes" },
        })
        assert.deepStrictEqual([refused.status, refused.body.reason], [422, "InvalidInputs"])
        const request = yield* call("/v1/requests/req_extra")
        const attempt = (request.body.runs as { apply: { attempts: Array<{ conclusion: string }> } }).apply
          .attempts[0]
        assert.strictEqual(attempt?.conclusion, "dispatch_failed")
      }).pipe(Effect.provide(serviceOn(memoryStore))),
  )
})
