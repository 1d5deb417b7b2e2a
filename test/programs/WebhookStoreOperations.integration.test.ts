import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { motoLayer } from "../support/s3.js"
import { operationsForUnindexedDelivery } from "./WebhookStoreOperationsSuite.js"

describe("store operations for a delivery that misses the index", () => {
  it.effect(
    // Calls are counted at the ObjectStore port, the same for every adapter: the memory store takes
    // the large count (10,000); moto, a few hundred objects a second, shows S3 gives the same figure.
    "on S3 (moto), the same with 10 and 250 request documents",
    () =>
      Effect.gen(function* () {
        const few = yield* operationsForUnindexedDelivery(motoLayer(), 10)
        const many = yield* operationsForUnindexedDelivery(motoLayer(), 250)
        assert.strictEqual(many, few)
        assert.isAtMost(few, 6)
      }),
    120_000,
  )
})
