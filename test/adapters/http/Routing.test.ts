import { HttpClient, HttpClientRequest, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { makeRouter } from "../../../src/adapters/http/HttpService.js"
import { ObjectStore, WriteCondition } from "../../../src/adapters/objects/ObjectStore.js"
import { world } from "../../support/world.js"

const token = "token"

const service = HttpServer.serve(
  makeRouter({
    apiToken: Redacted.make(token),
    webhook: { secrets: [Redacted.make("secret")], maxBytes: 1024 },
  }),
).pipe(Layer.provideMerge(NodeHttpServer.layerTest), Layer.provideMerge(world()))

const get = (path: string) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(
      HttpClientRequest.get(path).pipe(HttpClientRequest.setHeader("authorization", `Bearer ${token}`)),
    )
    return { status: response.status, body: (yield* response.json) as Record<string, unknown> }
  }).pipe(Effect.scoped)

describe("routing", () => {
  it.effect("request ids of 101 to 128 characters reach their routes", () =>
    Effect.gen(function* () {
      const objects = yield* ObjectStore
      for (const length of [100, 101, 127, 128]) {
        const requestId = `req_${"x".repeat(length - 4)}`
        assert.deepStrictEqual(yield* get(`/v1/requests/${requestId}`), {
          status: 404,
          body: { error: "not found", requestId },
        })
        yield* objects.put(`requests/${requestId}.json`, '{"version":1,"runs":{}}', WriteCondition.Always())
        assert.strictEqual((yield* get(`/v1/requests/${requestId}`)).status, 200, `length ${length}`)
      }
    }).pipe(Effect.provide(service)),
  )

  it.effect("a request id of 129 characters is 400 naming the parameter", () =>
    Effect.gen(function* () {
      const answer = yield* get(`/v1/requests/req_${"x".repeat(125)}`)
      assert.strictEqual(answer.status, 400)
      assert.strictEqual(answer.body.parameter, "requestId")
    }).pipe(Effect.provide(service)),
  )

  it.effect("an unknown route answers the documented JSON 404", () =>
    Effect.gen(function* () {
      for (const path of ["/nowhere", "/v1/requests", "/v1/requests/req_a/unknown", "/webhooks/github"]) {
        assert.deepStrictEqual(yield* get(path), { status: 404, body: { error: "no such route" } }, path)
      }
    }).pipe(Effect.provide(service)),
  )
})
