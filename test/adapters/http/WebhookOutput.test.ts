import { HttpClient, HttpClientRequest, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { sign } from "@octokit/webhooks-methods"
import { Effect, HashMap, Layer, Logger, Redacted, Stream } from "effect"
import { accessLog, pathOf } from "../../../src/adapters/http/AccessLog.js"
import { makeRouter } from "../../../src/adapters/http/HttpService.js"
import * as MemoryObjectStore from "../../../src/adapters/objects/MemoryObjectStore.js"
import { ObjectStore, WriteCondition } from "../../../src/adapters/objects/ObjectStore.js"
import { RunIndexStore } from "../../../src/ports/RunIndexStore.js"
import { StoreError } from "../../../src/ports/StoreError.js"
import { entry } from "../../support/fixtures.js"
import { workflowRunPayload } from "../../support/payloads.js"
import { withVirtualTime } from "../../support/time.js"
import { world } from "../../support/world.js"

const secret = "secret"
const internalPath = "/srv/run-index/data/requests/req_broken.json"

interface LogLine {
  readonly message: string
  readonly annotations: Record<string, unknown>
}

/** The service on a real socket over `objects`, its log lines collected in `lines`. */
const serviceOn = (objects: Layer.Layer<ObjectStore>, lines: Array<LogLine>) =>
  HttpServer.serve(
    makeRouter({
      apiToken: Redacted.make("token"),
      webhook: { secrets: [Redacted.make(secret)], maxBytes: 64 * 1024 },
    }),
    accessLog,
  ).pipe(
    Layer.provideMerge(NodeHttpServer.layerTest),
    Layer.provideMerge(world({}, objects)),
    Layer.provide(
      Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ message, annotations }) => {
          lines.push({
            message: String(Array.isArray(message) ? message.join(" ") : message),
            annotations: Object.fromEntries(HashMap.toEntries(annotations)),
          })
        }),
      ),
    ),
  )

const postDelivery = (deliveryId: string, payload: unknown) =>
  Effect.gen(function* () {
    const body = JSON.stringify(payload)
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(
      HttpClientRequest.post("/webhooks/github").pipe(
        HttpClientRequest.setHeaders({
          "x-github-event": "workflow_run",
          "x-github-delivery": deliveryId,
          "x-hub-signature-256": yield* Effect.promise(() => sign(secret, body)),
        }),
        HttpClientRequest.bodyText(body, "application/json"),
      ),
    )
    return { status: response.status, text: yield* response.text }
  }).pipe(Effect.scoped)

/** Every read, write and listing fails as a store whose error names an internal path would. */
const brokenStore = Layer.succeed(
  ObjectStore,
  (() => {
    const failure = (operation: string) =>
      new StoreError({ reason: "Unavailable", operation, detail: `${internalPath}: EIO: i/o error` })
    return ObjectStore.of({
      get: () => Effect.fail(failure("get")),
      put: () => Effect.fail(failure("put")),
      delete: () => Effect.fail(failure("delete")),
      deleteMany: () => Effect.fail(failure("deleteMany")),
      list: () => Stream.fail(failure("list")),
    })
  })(),
)

describe("what the service says and logs carries no secret or internal detail", () => {
  it("the path of a URL is kept, its query string and fragment dropped", () => {
    assert.strictEqual(pathOf("/v1/requests/req_a?token=abc"), "/v1/requests/req_a")
    assert.strictEqual(pathOf("/healthz#x?y"), "/healthz")
    assert.strictEqual(pathOf("/metrics"), "/metrics")
  })

  it.effect("the access log names the path without the query string", () =>
    Effect.gen(function* () {
      const lines: Array<LogLine> = []
      yield* Effect.gen(function* () {
        const client = yield* HttpClient.HttpClient
        // Not a probe: successful /healthz and /readyz are logged at debug.
        yield* client.execute(HttpClientRequest.get("/no-such-page?token=s3cr3t-token")).pipe(Effect.scoped)
      }).pipe(Effect.provide(serviceOn(MemoryObjectStore.layerMemory, lines)))
      const access = lines.find((line) => line.message === "Sent HTTP response")
      assert.deepInclude(access?.annotations, {
        "http.method": "GET",
        "http.path": "/no-such-page",
        "http.status": 404,
      })
      assert.notInclude(JSON.stringify(lines), "s3cr3t-token")
    }),
  )

  it.effect(
    "a delivery whose request document is invalid is a dead letter: 200 with why in one word and the delivery id; the details are logged",
    () =>
      Effect.gen(function* () {
        const lines: Array<LogLine> = []
        const fragment = '{"version": 3, "runs": "secret-looking fragment"'
        const response = yield* Effect.gen(function* () {
          const objects = yield* ObjectStore
          yield* objects.put("requests/req_broken.json", fragment, WriteCondition.Always())
          yield* (yield* RunIndexStore).claim(entry("apply", 4400, "req_broken"))
          return yield* postDelivery(
            "dead-delivery",
            workflowRunPayload({ id: 4400, kind: "apply", status: "completed" }),
          )
        }).pipe(Effect.provide(serviceOn(MemoryObjectStore.layerMemory, lines)))
        assert.strictEqual(response.status, 200)
        assert.deepStrictEqual(JSON.parse(response.text), {
          deadLetter: true,
          reason: "Invalid",
          deliveryId: "dead-delivery",
        })
        assert.notInclude(response.text, "secret-looking fragment")
        const dead = lines.find((line) => line.message.startsWith("delivery dead-lettered"))
        assert.include(String(dead?.annotations.detail), "stored document is invalid")
      }),
  )

  it.effect("a delivery the store cannot even park is 503 with the reason and the delivery id, no path", () =>
    Effect.gen(function* () {
      const lines: Array<LogLine> = []
      // Virtual time: the transient failures are retried with backoff before the delivery gives up.
      const response = yield* withVirtualTime(
        postDelivery(
          "unparked-delivery",
          workflowRunPayload({ id: 4401, kind: "apply", status: "completed" }),
        ),
      ).pipe(Effect.provide(serviceOn(brokenStore, lines)))
      assert.strictEqual(response.status, 503)
      assert.deepStrictEqual(JSON.parse(response.text), {
        error: "store unavailable",
        reason: "Unavailable",
        deliveryId: "unparked-delivery",
      })
      assert.notInclude(response.text, internalPath)
      const failed = lines.find((line) => line.message === "delivery failed")
      assert.include(String(failed?.annotations.detail), internalPath)
    }),
  )
})
