import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { motoLayer } from "../support/s3.js"
import { operationsForUnindexedDelivery } from "./WebhookStoreOperationsSuite.js"

describe("store operations for a delivery that misses the index", () => {
  it.effect(
    // 10,000 objects take moto about two and a half minutes to take in: 1,000 keep the suite quick.
    "on S3 (moto), the same with 10 and 1,000 request documents",
    () =>
      Effect.gen(function* () {
        const few = yield* operationsForUnindexedDelivery(motoLayer(), 10)
        const many = yield* operationsForUnindexedDelivery(motoLayer(), 1_000)
        assert.strictEqual(many, few)
        assert.isAtMost(few, 6)
      }),
    120_000,
  )
})
