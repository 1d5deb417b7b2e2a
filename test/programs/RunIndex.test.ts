import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import * as ObjectRunIndexStore from "../../src/adapters/ObjectRunIndexStore.js"
import * as MemoryObjectStore from "../../src/adapters/objects/MemoryObjectStore.js"
import { Retention } from "../../src/ports/Retention.js"
import { claimRun, getRequestIdByRunId, putRunIndex } from "../../src/programs/RunIndex.js"
import { requestId, runId } from "../support/fixtures.js"

const store = ObjectRunIndexStore.layer.pipe(Layer.provide(MemoryObjectStore.layerMemory))
const mapping = (owner: string) => ({
  kind: "destroy" as const,
  runId: runId(77),
  requestId: requestId(owner),
})

describe("run index programs", () => {
  it.effect("putRunIndex stamps createdAt from the clock and expires 90 days later by default", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2025-01-15T10:00:00.000Z"))
      const entry = yield* putRunIndex(mapping("req_a"))
      assert.strictEqual(entry.createdAt, "2025-01-15T10:00:00.000Z")
      assert.strictEqual(entry.expiresAt, "2025-04-15T10:00:00.000Z")
    }).pipe(Effect.provide(store)),
  )

  it.effect("the retention comes from the Retention service when one is provided", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2025-01-01T00:00:00.000Z"))
      const entry = yield* putRunIndex(mapping("req_a"))
      assert.strictEqual(entry.expiresAt, "2025-01-08T00:00:00.000Z")
    }).pipe(Effect.provide(store), Effect.provideService(Retention, { days: 7 })),
  )

  it.effect("claimRun keeps the first owner's entry and timestamps when a later claim loses", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2025-01-15T10:00:00.000Z"))
      yield* claimRun(mapping("req_first"))
      yield* TestClock.adjust("1 hour")
      const lost = yield* claimRun(mapping("req_second"))
      assert.strictEqual(lost._tag, "OwnedByOther")
      const found = yield* getRequestIdByRunId("destroy", runId(77))
      assert.strictEqual(
        found._tag === "Found" ? found.entry.createdAt : found._tag,
        "2025-01-15T10:00:00.000Z",
      )
    }).pipe(Effect.provide(store)),
  )
})
