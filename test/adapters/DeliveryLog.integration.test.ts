import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Option, Schema, Stream } from "effect"
import * as ObjectDeliveryLog from "../../src/adapters/ObjectDeliveryLog.js"
import * as MemoryObjectStore from "../../src/adapters/objects/MemoryObjectStore.js"
import { ObjectStore, WriteCondition } from "../../src/adapters/objects/ObjectStore.js"
import { DeliveryId } from "../../src/domain/WorkflowRunPayload.js"
import { DeliveryLog } from "../../src/ports/DeliveryLog.js"
import { temporaryDirectoryLayer } from "../support/directory.js"
import { motoLayer } from "../support/s3.js"

const id = Schema.decodeSync(DeliveryId)

const deliveryLogContract = (name: string, objects: () => Layer.Layer<ObjectStore, unknown>) =>
  describe(`DeliveryLog contract: ${name}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, DeliveryLog | ObjectStore>) =>
      Effect.provide(effect, ObjectDeliveryLog.layer.pipe(Layer.provideMerge(objects())))

    it.effect("a delivery is unprocessed until recorded; a second record is refused and the first kept", () =>
      run(
        Effect.gen(function* () {
          const log = yield* DeliveryLog
          const deliveryId = id("72d3162e-cc78-11e3-81ab-4c9367dc0958")
          assert.isTrue(Option.isNone(yield* log.processed(deliveryId)))
          const record = {
            deliveryId,
            event: "workflow_run",
            outcome: "Patched",
            processedAt: "2026-01-01T00:00:00.000Z",
          }
          assert.isTrue(yield* log.record(record))
          assert.isFalse(yield* log.record({ ...record, outcome: "Unchanged" }))
          assert.deepStrictEqual(yield* log.processed(deliveryId), Option.some(record))
        }),
      ),
    )

    it.effect("parked deliveries keep headers and raw body, list in key order, and unpark", () =>
      run(
        Effect.gen(function* () {
          const log = yield* DeliveryLog
          const parked = (deliveryId: string) => ({
            deliveryId: id(deliveryId),
            headers: { "x-github-event": "workflow_run", "x-hub-signature-256": "sha256=abc" },
            body: '{"raw": "body as received"}',
            reason: "store throttled",
            parkedAt: "2026-01-01T00:00:00.000Z",
            attempts: 1,
          })
          yield* log.park(parked("b-2"))
          yield* log.park(parked("a-1"))
          const listed = Chunk.toReadonlyArray(yield* Stream.runCollect(log.parked))
          assert.deepStrictEqual(listed, [
            { _tag: "Readable", ...parked("a-1") },
            { _tag: "Readable", ...parked("b-2") },
          ])
          yield* log.unpark(id("a-1"))
          yield* log.unpark(id("missing"))
          assert.strictEqual(yield* Stream.runCount(log.parked), 1)
        }),
      ),
    )

    it.effect(
      "a parked object that does not decode is listed as unreadable with its path and reason, and stays",
      () =>
        run(
          Effect.gen(function* () {
            const log = yield* DeliveryLog
            const objects = yield* ObjectStore
            yield* objects.put(
              "webhooks/github/parked/hand-edited.json",
              '{"deliveryId":',
              WriteCondition.Always(),
            )
            const listed = Chunk.toReadonlyArray(yield* Stream.runCollect(log.parked))
            assert.deepStrictEqual(
              listed.map((entry) => [
                entry._tag,
                entry.deliveryId,
                entry._tag === "Unreadable" ? entry.path : "",
              ]),
              [["Unreadable", "hand-edited", "webhooks/github/parked/hand-edited.json"]],
            )
            assert.isTrue(listed[0]?._tag === "Unreadable" && listed[0].reason.length > 0)
            assert.strictEqual(yield* Stream.runCount(log.parked), 1, "listing removes nothing")
            yield* log.unpark(id("hand-edited"))
            assert.strictEqual(yield* Stream.runCount(log.parked), 0)
          }),
        ),
    )
  })

deliveryLogContract("memory", () => MemoryObjectStore.layerMemory)
deliveryLogContract("directory", () => temporaryDirectoryLayer())
deliveryLogContract("s3 on moto", () => motoLayer())
