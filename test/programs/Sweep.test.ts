import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, TestClock } from "effect"
import * as ObjectRunIndexStore from "../../src/adapters/ObjectRunIndexStore.js"
import * as MemoryObjectStore from "../../src/adapters/objects/MemoryObjectStore.js"
import { ObjectStore } from "../../src/adapters/objects/ObjectStore.js"
import { keyPath } from "../../src/domain/RunIndexKey.js"
import { RunIndexStore } from "../../src/ports/RunIndexStore.js"
import { StoreError } from "../../src/ports/StoreError.js"
import { sweepIndex } from "../../src/programs/Sweep.js"
import { entry } from "../support/fixtures.js"

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
            deleteMany: (paths) =>
              Effect.suspend(() => {
                if (options.throttled > 0) {
                  options.throttled -= 1
                  return Effect.fail(
                    new StoreError({ reason: "Throttled", operation: "deleteMany", detail: "SlowDown" }),
                  )
                }
                const refused = paths.filter((path) => options.refused.has(path))
                return Effect.as(
                  objects.deleteMany(paths.filter((path) => !options.refused.has(path))),
                  refused.map((path) => ({
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
      const fiber = yield* Effect.fork(sweepIndex())
      yield* TestClock.adjust("10 seconds")
      const report = yield* Fiber.join(fiber)
      assert.deepStrictEqual([report.expired, report.deleted, report.failed], [3, 3, 0])
    }).pipe(Effect.provide(faultyDeletes({ refused: new Set(), throttled: 2 }))),
  )
})
