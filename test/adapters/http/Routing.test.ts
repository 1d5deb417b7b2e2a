import { request } from "node:http"
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

/** Posts `bytes` of body with chunked transfer encoding (no Content-Length) straight to the server's socket. */
const postChunked = (port: number, bytes: number) =>
  Effect.async<{ readonly status: number; readonly body: string }, Error>((resume) => {
    const outgoing = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/webhooks/github",
        headers: { "transfer-encoding": "chunked", "x-github-event": "ping" },
      },
      (response) => {
        let body = ""
        response.setEncoding("utf8")
        response.on("data", (chunk: string) => {
          body += chunk
        })
        response.on("end", () => resume(Effect.succeed({ status: response.statusCode ?? 0, body })))
      },
    )
    outgoing.on("error", (error) => resume(Effect.fail(error)))
    let sent = 0
    const pump = () => {
      while (sent < bytes) {
        sent += 64 * 1024
        if (!outgoing.write(Buffer.alloc(64 * 1024, 97))) {
          outgoing.once("drain", pump)
          return
        }
      }
      outgoing.end()
    }
    pump()
  })

describe("oversized bodies", () => {
  it.live(
    "a chunked body past the limit without Content-Length is answered 413, not a connection reset",
    () =>
      Effect.gen(function* () {
        const server = yield* HttpServer.HttpServer
        const port = server.address._tag === "TcpAddress" ? server.address.port : 0
        const answer = yield* postChunked(port, 6 * 1024 * 1024)
        assert.strictEqual(answer.status, 413)
        assert.deepStrictEqual(JSON.parse(answer.body), { error: "payload too large", maxBytes: 1024 })
      }).pipe(Effect.provide(service)),
  )
})
