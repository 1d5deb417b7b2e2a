import { HttpClient, HttpClientRequest, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { sign } from "@octokit/webhooks-methods"
import { Deferred, Duration, Effect, Layer, Metric, Option, Redacted, Schema } from "effect"
import { makeRouter } from "../../../src/adapters/http/HttpService.js"
import * as InFlightDeliveries from "../../../src/adapters/InFlightDeliveries.js"
import * as MemoryObjectStore from "../../../src/adapters/objects/MemoryObjectStore.js"
import { ObjectStore, WriteCondition } from "../../../src/adapters/objects/ObjectStore.js"
import { DeliveryId } from "../../../src/domain/WorkflowRunPayload.js"
import { DeliveriesInFlight } from "../../../src/ports/DeliveriesInFlight.js"
import { DeliveryLog } from "../../../src/ports/DeliveryLog.js"
import * as Metrics from "../../../src/programs/Metrics.js"
import { replayParked } from "../../../src/programs/Replay.js"
import { requestDocumentWithRun, workflowRunPayload } from "../../support/payloads.js"
import { attemptOf, world } from "../../support/world.js"

const secret = "secret"
const copies = 10

/**
 * The memory store, except that reading a run index entry waits until `gate` opens: every copy of
 * a delivery that reaches processing is held there, so copies overlap however fast the rest is.
 */
const gatedStore = (gate: Deferred.Deferred<void>, indexReads: { count: number }) =>
  Layer.effect(
    ObjectStore,
    Effect.map(ObjectStore, (store) =>
      ObjectStore.of({
        ...store,
        get: (path) =>
          path.startsWith("webhooks/github/run-index/")
            ? Effect.andThen(
                Effect.sync(() => {
                  indexReads.count += 1
                }),
                Effect.andThen(Deferred.await(gate), store.get(path)),
              )
            : store.get(path),
      }),
    ),
  ).pipe(Layer.provide(MemoryObjectStore.layerMemory))

/** This process's in-flight dedupe, opening `gate` once all `copies` have reached it. */
const arrivals = (gate: Deferred.Deferred<void>) =>
  Layer.effect(
    DeliveriesInFlight,
    Effect.map(DeliveriesInFlight, (inFlight) => {
      let arrived = 0
      return DeliveriesInFlight.of({
        once: (deliveryId, work) =>
          Effect.zipRight(
            Effect.suspend(() => (++arrived === copies ? Deferred.succeed(gate, undefined) : Effect.void)),
            inFlight.once(deliveryId, work),
          ),
      })
    }),
  ).pipe(Layer.provide(InFlightDeliveries.layer))

const count = (counter: Metric.Metric.Counter<number>) =>
  Effect.map(Metric.value(counter), (state) => state.count)

describe("concurrent copies of one delivery", () => {
  // Live clock: the copies race over real sockets; the gate opens once all of them have arrived.
  it.live("10 concurrent posts of one delivery id are processed once; the other 9 answer as duplicates", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const indexReads = { count: 0 }
      const service = HttpServer.serve(
        makeRouter({
          apiToken: Redacted.make("token"),
          webhook: { secrets: [Redacted.make(secret)], maxBytes: 64 * 1024 },
        }),
      ).pipe(
        Layer.provideMerge(NodeHttpServer.layerTest),
        Layer.provideMerge(world({}, gatedStore(gate, indexReads))),
        Layer.provide(arrivals(gate)),
      )
      yield* Effect.gen(function* () {
        const objects = yield* ObjectStore
        yield* objects.put(
          "requests/req_copies.json",
          JSON.stringify(requestDocumentWithRun("apply", 9100)),
          WriteCondition.Always(),
        )
        const before = {
          processed: yield* count(Metrics.deliveries.processed),
          duplicate: yield* count(Metrics.deliveries.duplicate),
        }
        const body = JSON.stringify(
          workflowRunPayload({ id: 9100, kind: "apply", status: "completed", title: "Apply req_copies" }),
        )
        const signature = yield* Effect.promise(() => sign(secret, body))
        const client = yield* HttpClient.HttpClient
        const post = client
          .execute(
            HttpClientRequest.post("/webhooks/github").pipe(
              HttpClientRequest.setHeaders({
                "x-github-event": "workflow_run",
                "x-github-delivery": "copied-delivery",
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
        const answers = yield* Effect.forEach(Array.from({ length: copies }), () => post, {
          concurrency: "unbounded",
        })

        assert.deepStrictEqual(
          answers.map((answer) => answer.status),
          Array(copies).fill(200),
        )
        const processed = answers.filter(
          (answer) => (answer.json as { outcome?: string }).outcome === "Patched",
        )
        const duplicates = answers.filter(
          (answer) => (answer.json as { duplicate?: boolean }).duplicate === true,
        )
        assert.strictEqual(processed.length, 1)
        assert.strictEqual(duplicates.length, copies - 1)
        assert.strictEqual(indexReads.count, 1, "only the first copy was processed")
        assert.deepStrictEqual(
          {
            processed: (yield* count(Metrics.deliveries.processed)) - before.processed,
            duplicate: (yield* count(Metrics.deliveries.duplicate)) - before.duplicate,
          },
          { processed: 1, duplicate: copies - 1 },
        )
        assert.strictEqual((yield* attemptOf("req_copies", "apply"))?.status, "completed")
      }).pipe(Effect.provide(service))
    }),
  )

  // Live clock: the deadline is the route's own timer on a real socket.
  it.live(
    "a delivery whose processing outlasts its deadline is parked and answered 503 in time, and a replay applies it",
    () =>
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>()
        const recordReads = { count: 0 }
        const service = HttpServer.serve(
          makeRouter({
            apiToken: Redacted.make("token"),
            webhook: {
              secrets: [Redacted.make(secret)],
              maxBytes: 64 * 1024,
              deadline: Duration.millis(300),
            },
          }),
        ).pipe(
          Layer.provideMerge(NodeHttpServer.layerTest),
          Layer.provideMerge(world({}, gatedStore(gate, recordReads))),
          Layer.provide(InFlightDeliveries.layer),
        )
        yield* Effect.gen(function* () {
          const objects = yield* ObjectStore
          yield* objects.put(
            "requests/req_late.json",
            JSON.stringify(requestDocumentWithRun("apply", 9200)),
            WriteCondition.Always(),
          )
          const body = JSON.stringify(
            workflowRunPayload({ id: 9200, kind: "apply", status: "completed", title: "Apply req_late" }),
          )
          const client = yield* HttpClient.HttpClient
          const answer = yield* client
            .execute(
              HttpClientRequest.post("/webhooks/github").pipe(
                HttpClientRequest.setHeaders({
                  "x-github-event": "workflow_run",
                  "x-github-delivery": "late-delivery",
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
            )
          assert.deepStrictEqual(answer, {
            status: 503,
            json: { parked: true, reason: "Unavailable", deliveryId: "late-delivery" },
          })
          const log = yield* DeliveryLog
          const id = Schema.decodeSync(DeliveryId)("late-delivery")
          assert.isTrue(Option.isNone(yield* log.processed(id)), "nothing recorded: it was parked")
          // The store answers again: a replay (the service's own, or `deliveries replay`) applies it.
          yield* Deferred.succeed(gate, undefined)
          assert.deepStrictEqual(yield* replayParked(), { replayed: 1, stillParked: 0, unreadable: 0 })
          const recorded = Option.getOrThrow(yield* log.processed(id))
          assert.strictEqual(recorded.outcome, "Patched")
          assert.strictEqual((yield* attemptOf("req_late", "apply"))?.status, "completed")
        }).pipe(Effect.provide(service))
      }),
  )
})
