import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import * as ObjectDeliveryLog from "../../src/adapters/ObjectDeliveryLog.js"
import * as ObjectDispatchLanes from "../../src/adapters/ObjectDispatchLanes.js"
import * as ObjectRequestStore from "../../src/adapters/ObjectRequestStore.js"
import * as ObjectRunIndexStore from "../../src/adapters/ObjectRunIndexStore.js"
import * as MemoryObjectStore from "../../src/adapters/objects/MemoryObjectStore.js"
import { ObjectStore, WriteCondition } from "../../src/adapters/objects/ObjectStore.js"
import { DeliveryId } from "../../src/domain/WorkflowRunPayload.js"
import { RunIndexStore } from "../../src/ports/RunIndexStore.js"
import { processDelivery } from "../../src/programs/Webhooks.js"
import { countingObjectStore, emptyCalls, type ObjectStoreCalls } from "../support/countingObjectStore.js"
import { entry } from "../support/fixtures.js"
import { requestDocumentWithRun, workflowRunPayload } from "../support/payloads.js"

const totalOf = (calls: ObjectStoreCalls) =>
  calls.gets + calls.puts + calls.deletes + calls.deleteManys + calls.listPages

describe("store operations per delivery of an indexed run", () => {
  it.effect(
    "a change costs 4 (index, document, compare-and-set, record); no change and a redelivery 3 each",
    () =>
      Effect.gen(function* () {
        const calls = emptyCalls()
        const stores = Layer.mergeAll(
          ObjectRunIndexStore.layer,
          ObjectRequestStore.layer,
          ObjectDeliveryLog.layer,
          ObjectDispatchLanes.layer,
        ).pipe(Layer.provide(countingObjectStore(calls)), Layer.provideMerge(MemoryObjectStore.layerMemory))
        yield* Effect.gen(function* () {
          const objects = yield* ObjectStore
          yield* objects.put(
            "requests/req_costs.json",
            JSON.stringify(requestDocumentWithRun("apply", 4400)),
            WriteCondition.Always(),
          )
          yield* (yield* RunIndexStore).claim(entry("apply", 4400, "req_costs"))
          const costOf = (deliveryId: string, status: "in_progress" | "completed") =>
            Effect.gen(function* () {
              const before = totalOf(calls)
              const result = yield* processDelivery({
                deliveryId: Schema.decodeSync(DeliveryId)(deliveryId),
                event: "workflow_run",
                headers: { "x-github-event": "workflow_run" },
                body: JSON.stringify(workflowRunPayload({ id: 4400, kind: "apply", status })),
              })
              return {
                outcome: result._tag === "Processed" ? result.outcome : result._tag,
                operations: totalOf(calls) - before,
              }
            })
          assert.deepStrictEqual(
            [
              yield* costOf("delivery-started", "in_progress"),
              yield* costOf("delivery-started-again", "in_progress"),
              yield* costOf("delivery-started", "in_progress"),
            ],
            [
              { outcome: "Patched", operations: 4 },
              { outcome: "Unchanged", operations: 3 },
              { outcome: "Duplicate", operations: 3 },
            ],
          )
        }).pipe(Effect.provide(stores))
      }),
  )
})
