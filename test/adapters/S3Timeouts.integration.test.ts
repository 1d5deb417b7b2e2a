import { createServer, type Socket } from "node:net"
import { HttpClient, HttpClientRequest, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { sign } from "@octokit/webhooks-methods"
import { Duration, Effect, Layer, Redacted } from "effect"
import { makeRouter } from "../../src/adapters/http/HttpService.js"
import * as ObjectDeliveryLog from "../../src/adapters/ObjectDeliveryLog.js"
import * as ObjectDispatchLanes from "../../src/adapters/ObjectDispatchLanes.js"
import * as ObjectRequestStore from "../../src/adapters/ObjectRequestStore.js"
import * as ObjectRunIndexStore from "../../src/adapters/ObjectRunIndexStore.js"
import * as S3Client from "../../src/adapters/objects/S3Client.js"
import * as S3ObjectStore from "../../src/adapters/objects/S3ObjectStore.js"
import { RunIndexStore } from "../../src/ports/RunIndexStore.js"
import * as GitHubSimulator from "../../src/simulation/adapters/github/GitHubSimulator.js"
import { runId } from "../support/fixtures.js"
import { workflowRunPayload } from "../support/payloads.js"

/** A loopback "S3" that accepts every connection, reads what it is sent, and never answers. */
const silentEndpoint = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly close: () => void }>((resume) => {
    const sockets = new Set<Socket>()
    const server = createServer((socket) => {
      sockets.add(socket)
      socket.on("data", () => undefined)
      socket.on("close", () => sockets.delete(socket))
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resume(
        Effect.succeed({
          url: `http://127.0.0.1:${port}`,
          close: () => {
            for (const socket of sockets) socket.destroy()
            server.close()
          },
        }),
      )
    })
  }),
  (endpoint) => Effect.sync(endpoint.close),
)

const storesOn = (url: string, requestTimeout: Duration.DurationInput = "300 millis") =>
  Layer.mergeAll(
    ObjectRunIndexStore.layer,
    ObjectRequestStore.layer,
    ObjectDeliveryLog.layer,
    ObjectDispatchLanes.layer,
  ).pipe(
    Layer.provideMerge(S3ObjectStore.layer({ bucket: "stalled" })),
    Layer.provide(
      S3Client.layer({
        endpoint: url,
        region: "us-east-1",
        maxAttempts: 1,
        connectionTimeout: "200 millis",
        requestTimeout,
      }),
    ),
  )

const elapsedMillis = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const started = Date.now()
    const result = yield* effect
    return { result, millis: Date.now() - started }
  })

// Live clock throughout: the timeouts under test are the SDK's own timers on real sockets.
describe("S3 calls against an endpoint that never answers", () => {
  it.live("a read fails as Unavailable once the request timeout passes, instead of hanging", () =>
    Effect.gen(function* () {
      const endpoint = yield* silentEndpoint
      const { result, millis } = yield* Effect.gen(function* () {
        const store = yield* RunIndexStore
        return yield* elapsedMillis(Effect.flip(store.get({ kind: "plan", runId: runId(1) })))
      }).pipe(Effect.provide(storesOn(endpoint.url)))
      assert.strictEqual(result.reason, "Unavailable")
      assert.include(result.detail, "TimeoutError")
      assert.isBelow(millis, 2_000)
    }).pipe(Effect.scoped),
  )

  it.live(
    "/readyz answers 503 within its deadline, and a delivery 503 with its delivery id within its deadline",
    () =>
      Effect.gen(function* () {
        const endpoint = yield* silentEndpoint
        const secret = "secret"
        yield* Effect.gen(function* () {
          const client = yield* HttpClient.HttpClient
          const ready = yield* elapsedMillis(
            client.execute(HttpClientRequest.get("/readyz")).pipe(
              Effect.flatMap((response) =>
                Effect.map(response.json, (body) => ({ status: response.status, body })),
              ),
              Effect.scoped,
            ),
          )
          assert.strictEqual(ready.result.status, 503)
          assert.deepStrictEqual(ready.result.body, { error: "store unavailable", reason: "Unavailable" })
          assert.isBelow(ready.millis, 2_000)

          const body = JSON.stringify(workflowRunPayload({ id: 77, kind: "apply", status: "completed" }))
          const delivery = yield* elapsedMillis(
            client
              .execute(
                HttpClientRequest.post("/webhooks/github").pipe(
                  HttpClientRequest.setHeaders({
                    "x-github-event": "workflow_run",
                    "x-github-delivery": "stalled-1",
                    "x-hub-signature-256": yield* Effect.promise(() => sign(secret, body)),
                  }),
                  HttpClientRequest.bodyText(body, "application/json"),
                ),
              )
              .pipe(
                Effect.flatMap((response) =>
                  Effect.map(response.json, (json) => ({ status: response.status, json })),
                ),
                Effect.scoped,
              ),
          )
          assert.strictEqual(delivery.result.status, 503)
          assert.strictEqual((delivery.result.json as { deliveryId?: string }).deliveryId, "stalled-1")
          assert.isBelow(delivery.millis, 3_000)
        }).pipe(
          Effect.provide(
            HttpServer.serve(
              makeRouter({
                apiToken: Redacted.make("token"),
                webhook: {
                  secrets: [Redacted.make(secret)],
                  maxBytes: 64 * 1024,
                  deadline: Duration.seconds(1),
                },
                readyTimeout: Duration.millis(500),
              }),
            ).pipe(
              Layer.provideMerge(NodeHttpServer.layerTest),
              // The client's own timeouts (5 s) would outlast both deadlines: these answer first.
              Layer.provideMerge(storesOn(endpoint.url, S3Client.defaultRequestTimeout)),
              Layer.provideMerge(GitHubSimulator.layer({ mode: "run-details", workflows: [] })),
            ),
          ),
        )
      }).pipe(Effect.scoped),
  )
})
