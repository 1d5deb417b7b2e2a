import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, TestClock } from "effect"
import * as ObjectRunIndexStore from "../../src/adapters/ObjectRunIndexStore.js"
import * as MemoryObjectStore from "../../src/adapters/objects/MemoryObjectStore.js"
import { ObjectStore } from "../../src/adapters/objects/ObjectStore.js"
import { keyPath } from "../../src/domain/RunIndexKey.js"
import { Retention } from "../../src/ports/Retention.js"
import { RunIndexStore } from "../../src/ports/RunIndexStore.js"
import { StoreError } from "../../src/ports/StoreError.js"
import { claimRun } from "../../src/programs/RunIndex.js"
import { sweepIndex } from "../../src/programs/Sweep.js"
import { entry, requestId, runId } from "../support/fixtures.js"

const expired = (id: number) =>
  entry("apply", id, `req_${id}`, "2025-01-15T10:00:00.000Z", "2025-04-15T10:00:00.000Z")

/** A memory store whose batched deletes refuse `refused` and fail as throttled the first `throttled` times. */
const faultyDeletes = (options: { readonly refused: ReadonlySet<string>; throttled: number }) =>
  ObjectRunIndexStore.layer.pipe(
    Layer.provideMerge(
      Layer.effect(
        ObjectStore,
        Effect.map(ObjectStore, (objects) =>
          ObjectStore.of({
            ...objects,
            deleteMany: (targets) =>
              Effect.suspend(() => {
                if (options.throttled > 0) {
                  options.throttled -= 1
                  return Effect.fail(
                    new StoreError({ reason: "Throttled", operation: "deleteMany", detail: "SlowDown" }),
                  )
                }
                const refused = targets.filter(({ path }) => options.refused.has(path))
                return Effect.as(
                  objects.deleteMany(targets.filter(({ path }) => !options.refused.has(path))),
                  refused.map(({ path }) => ({
                    path,
                    error: new StoreError({
                      reason: "AccessDenied",
                      operation: "delete",
                      detail: `${path}: AccessDenied`,
                    }),
                  })),
                )
              }),
          }),
        ),
      ).pipe(Layer.provide(MemoryObjectStore.layerMemory)),
    ),
  )

const plant = (count: number) =>
  Effect.flatMap(RunIndexStore, (store) =>
    Effect.forEach(
      Array.from({ length: count }, (_, index) => expired(index + 1)),
      store.put,
      { discard: true },
    ),
  )

describe("sweep when the store refuses or throttles deletes", () => {
  it.effect("keys the store refuses are counted and listed, and the rest are deleted", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2025-06-01T00:00:00.000Z"))
      yield* plant(5)
      yield* TestClock.adjust("100 days")
      const report = yield* sweepIndex()
      assert.deepStrictEqual([report.expired, report.deleted, report.failed], [5, 4, 1])
      assert.deepStrictEqual(report.failures, [
        { path: keyPath(expired(3)), reason: "AccessDenied", detail: `${keyPath(expired(3))}: AccessDenied` },
      ])
      const left = yield* (yield* RunIndexStore).get(expired(3))
      assert.strictEqual(left._tag, "Found")
    }).pipe(Effect.provide(faultyDeletes({ refused: new Set([keyPath(expired(3))]), throttled: 0 }))),
  )

  it.effect("a batched delete that meets throttling is sent again and the sweep completes", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2025-06-01T00:00:00.000Z"))
      yield* plant(3)
      yield* TestClock.adjust("100 days")
      const fiber = yield* Effect.fork(sweepIndex())
      yield* TestClock.adjust("10 seconds")
      const report = yield* Fiber.join(fiber)
      assert.deepStrictEqual([report.expired, report.deleted, report.failed], [3, 3, 0])
    }).pipe(Effect.provide(faultyDeletes({ refused: new Set(), throttled: 2 }))),
  )
})

describe("sweep by age judges as the entries' own expiresAt does", () => {
  const memoryStore = ObjectRunIndexStore.layer.pipe(Layer.provideMerge(MemoryObjectStore.layerMemory))

  it.effect(
    "for entries claimed the standard way, by age and by body agree a millisecond either side of expiry, with the retention both read",
    () =>
      Effect.gen(function* () {
        const claimedAt = Date.parse("2025-03-01T12:00:00.000Z")
        yield* TestClock.setTime(claimedAt)
        const claim = yield* claimRun({ kind: "apply", runId: runId(7), requestId: requestId("req_seven") })
        assert.strictEqual(claim._tag, "Claimed")
        const expiresAt = claimedAt + 30 * 86_400_000
        assert.strictEqual(claim._tag === "Claimed" ? claim.entry.expiresAt : "", "2025-03-31T12:00:00.000Z")
        const verdicts = yield* Effect.forEach([expiresAt - 1, expiresAt, expiresAt + 1], (instant) =>
          Effect.gen(function* () {
            yield* TestClock.setTime(instant)
            const byAge = yield* sweepIndex({ dryRun: true })
            const byBody = yield* sweepIndex({ dryRun: true, readBodies: true })
            return [byAge.expired, byBody.expired]
          }),
        )
        assert.deepStrictEqual(verdicts, [
          [0, 0],
          [0, 0],
          [1, 1],
        ])
        const swept = yield* sweepIndex()
        assert.deepStrictEqual([swept.mode, swept.retentionDays, swept.deleted], ["age", 30, 1])
        assert.strictEqual(swept.writtenBefore, "2025-03-01T12:00:00.001Z")
      }).pipe(Effect.provide(memoryStore), Effect.provideService(Retention, { days: 30 })),
  )
})
