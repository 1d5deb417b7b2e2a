import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as MemoryObjectStore from "../../src/adapters/objects/MemoryObjectStore.js"
import { temporaryDirectoryLayer } from "../support/directory.js"
import { operationsForUnindexedDelivery } from "./WebhookStoreOperationsSuite.js"

describe("store operations for a delivery that misses the index", () => {
  it.effect("on the memory store, the same with 10 and 10,000 request documents", () =>
    Effect.gen(function* () {
      const few = yield* operationsForUnindexedDelivery(MemoryObjectStore.layerMemory, 10)
      const many = yield* operationsForUnindexedDelivery(MemoryObjectStore.layerMemory, 10_000)
      assert.strictEqual(many, few)
      assert.isAtMost(few, 6)
    }),
  )

  // 10,000 files cost seconds to plant: the memory store above takes the large count.
  it.effect("on the directory store, the same with 10 and 1,000 request documents", () =>
    Effect.gen(function* () {
      const few = yield* operationsForUnindexedDelivery(temporaryDirectoryLayer(), 10)
      const many = yield* operationsForUnindexedDelivery(temporaryDirectoryLayer(), 1_000)
      assert.strictEqual(many, few)
      assert.isAtMost(few, 6)
    }),
  )
})
