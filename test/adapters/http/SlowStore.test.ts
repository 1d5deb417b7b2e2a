import { HttpClient, HttpClientRequest, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { sign } from "@octokit/webhooks-methods"
import { Duration, Effect, Layer, Option, Redacted, Schema, Stream } from "effect"
import { makeRouter } from "../../../src/adapters/http/HttpService.js"
import * as InFlightDeliveries from "../../../src/adapters/InFlightDeliveries.js"
import * as LocalDeliverySpool from "../../../src/adapters/LocalDeliverySpool.js"
import * as MemoryObjectStore from "../../../src/adapters/objects/MemoryObjectStore.js"
import { ObjectStore, WriteCondition } from "../../../src/adapters/objects/ObjectStore.js"
import { DeliveryId } from "../../../src/domain/WorkflowRunPayload.js"
import { DeliveryLog } from "../../../src/ports/DeliveryLog.js"
import { replayParked } from "../../../src/programs/Webhooks.js"
import { requestDocumentWithRun, workflowRunPayload } from "../../support/payloads.js"
import { attemptOf, world } from "../../support/world.js"

const secret = "secret"
// The case (a store that takes 3 s per call against a 9 s deadline) scaled down, on a live
// clock: a 2 s deadline gives processing 1 s and parking at most 500 ms of the rest for the store,
// then the spool; the store takes 400 ms a call (parking fits) or 800 ms (it does not).
const deadline = Duration.seconds(2)
/** What a loaded test machine may add to an answer that left the service in time. */
const slack = 500
const requests = ["req_slow_1", "req_slow_2", "req_slow_3", "req_slow_4"] as const

/** The memory store, every call of which takes `perCall` while `slow.on`. */
const slowStore = (slow: { on: boolean }, perCall: Duration.Duration) =>
  Layer.effect(
    ObjectStore,
    Effect.map(ObjectStore, (store) => {
      const delayed = <A, E, R>(call: Effect.Effect<A, E, R>) =>
        Effect.suspend(() => (slow.on ? Effect.zipRight(Effect.sleep(perCall), call) : call))
      return ObjectStore.of({
        ...store,
        get: (path) => delayed(store.get(path)),
        put: (path, body, condition) => delayed(store.put(path, body, condition)),
        delete: (path) => delayed(store.delete(path)),
        deleteMany: (targets) => delayed(store.deleteMany(targets)),
      })
    }),
  ).pipe(Layer.provide(MemoryObjectStore.layerMemory))

describe("a store that answers slowly", () => {
  it.live.each([400, 800])(
    "%i ms per call: every delivery is answered within the deadline, 2xx or 503 parked; none is lost once the store recovers and replay runs",
    (perCallMillis) =>
      Effect.gen(function* () {
        const slow = { on: false }
        const service = HttpServer.serve(
          makeRouter({
            apiToken: Redacted.make("token"),
            webhook: { secrets: [Redacted.make(secret)], maxBytes: 64 * 1024, deadline },
          }),
        ).pipe(
          Layer.provideMerge(NodeHttpServer.layerTest),
          Layer.provideMerge(world({}, slowStore(slow, Duration.millis(perCallMillis)))),
          Layer.provideMerge(LocalDeliverySpool.layerMemory()),
          Layer.provide(InFlightDeliveries.layer),
        )
        yield* Effect.gen(function* () {
          const objects = yield* ObjectStore
          yield* Effect.forEach(requests, (requestId, position) =>
            objects.put(
              `requests/${requestId}.json`,
              JSON.stringify(requestDocumentWithRun("apply", 9300 + position)),
              WriteCondition.Always(),
            ),
          )
          const client = yield* HttpClient.HttpClient
          const post = (requestId: string, position: number, event = "workflow_run") =>
            Effect.gen(function* () {
              const body = JSON.stringify(
                workflowRunPayload({
                  id: 9300 + position,
                  kind: "apply",
                  status: "completed",
                  title: `Apply ${requestId}`,
                }),
              )
              const signature = yield* Effect.promise(() => sign(secret, body))
              const started = Date.now()
              const answer = yield* client
                .execute(
                  HttpClientRequest.post("/webhooks/github").pipe(
                    HttpClientRequest.setHeaders({
                      "x-github-event": event,
                      "x-github-delivery": `${event === "ping" ? "warm" : "slow"}-${position}`,
                      "x-hub-signature-256": signature,
                    }),
                    HttpClientRequest.bodyText(body, "application/json"),
                  ),
                )
                .pipe(
                  Effect.flatMap((response) =>
                    Effect.map(response.json, (json) => ({ status: response.status, json })),
                  ),
                  Effect.scoped,
                )
              return { ...answer, elapsed: Date.now() - started }
            })
          // A first request warms the server and client up, so that only the store's delay is timed.
          assert.strictEqual((yield* post("req_slow_1", 0, "ping")).status, 200)
          slow.on = true
          const answers = yield* Effect.forEach(
            requests,
            (requestId, position) => post(requestId, position),
            {
              concurrency: "unbounded",
            },
          )

          for (const answer of answers) {
            assert.isBelow(answer.elapsed, Duration.toMillis(deadline) + slack, JSON.stringify(answer))
            if (answer.status !== 200)
              assert.deepInclude(answer, { status: 503, json: { ...(answer.json as object), parked: true } })
          }
          // Three calls do not fit in the 1 s budget: every one of them is parked.
          assert.deepStrictEqual(
            answers.map((answer) => answer.status),
            requests.map(() => 503),
          )

          slow.on = false
          const replayed = yield* replayParked()
          assert.deepStrictEqual(replayed, { replayed: requests.length, stillParked: 0, unreadable: 0 })
          const log = yield* DeliveryLog
          for (const [position, requestId] of requests.entries()) {
            assert.strictEqual((yield* attemptOf(requestId, "apply"))?.status, "completed", requestId)
            const recorded = yield* log.processed(Schema.decodeSync(DeliveryId)(`slow-${position}`))
            assert.strictEqual(Option.getOrUndefined(recorded)?.outcome, "Patched", requestId)
          }
          assert.strictEqual(yield* Stream.runCount(log.parked), 0)
        }).pipe(Effect.provide(service))
      }),
  )
})
