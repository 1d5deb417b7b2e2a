import { assert } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import * as ObjectDeliveryLog from "../../src/adapters/ObjectDeliveryLog.js"
import * as ObjectDispatchLanes from "../../src/adapters/ObjectDispatchLanes.js"
import * as ObjectRequestStore from "../../src/adapters/ObjectRequestStore.js"
import * as ObjectRunIndexStore from "../../src/adapters/ObjectRunIndexStore.js"
import { ObjectStore, WriteCondition } from "../../src/adapters/objects/ObjectStore.js"
import { DeliveryId } from "../../src/domain/WorkflowRunPayload.js"
import { processDelivery } from "../../src/programs/Webhooks.js"
import { countingObjectStore, emptyCalls, type ObjectStoreCalls } from "../support/countingObjectStore.js"
import { workflowRunPayload } from "../support/payloads.js"

/** Request documents that hold nothing this delivery could match: only their number changes. */
const plantRequests = (count: number) =>
  Effect.flatMap(ObjectStore, (objects) =>
    Effect.forEach(
      Array.from({ length: count }, (_, index) => index),
      (index) =>
        objects.put(
          `requests/req_planted_${index}.json`,
          JSON.stringify({ version: 1, runs: {} }),
          WriteCondition.Always(),
        ),
      { concurrency: 32, discard: true },
    ),
  )

/** Store calls made by one delivery for a destroy run that is in no index entry and no lane. */
export const operationsForUnindexedDelivery = (
  objects: Layer.Layer<ObjectStore, unknown>,
  documents: number,
) =>
  Effect.gen(function* () {
    yield* plantRequests(documents)
    const calls: ObjectStoreCalls = emptyCalls()
    const counted = Layer.mergeAll(
      ObjectRunIndexStore.layer,
      ObjectRequestStore.layer,
      ObjectDeliveryLog.layer,
      ObjectDispatchLanes.layer,
    ).pipe(
      Layer.provide(countingObjectStore(calls)),
      Layer.provide(Layer.succeedContext(yield* Effect.context<ObjectStore>())),
    )
    const result = yield* processDelivery({
      deliveryId: Schema.decodeSync(DeliveryId)(`unindexed-${documents}`),
      event: "workflow_run",
      headers: { "x-github-event": "workflow_run" },
      body: JSON.stringify(
        workflowRunPayload({ id: 987654, kind: "destroy", status: "completed", title: "Destroy" }),
      ),
    }).pipe(Effect.provide(counted))
    assert.deepInclude({ ...result }, { _tag: "Processed", source: "none" })
    return calls.gets + calls.puts + calls.deletes + calls.deleteManys + calls.listPages
  }).pipe(Effect.provide(objects))
