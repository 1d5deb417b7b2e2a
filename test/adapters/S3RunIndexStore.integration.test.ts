import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import * as ObjectRunIndexStore from "../../src/adapters/ObjectRunIndexStore.js"
import { ObjectStore, type Paging, WriteCondition } from "../../src/adapters/objects/ObjectStore.js"
import { encodeEntry } from "../../src/domain/RunIndexEntry.js"
import { keyPath } from "../../src/domain/RunIndexKey.js"
import { RunIndexStore } from "../../src/ports/RunIndexStore.js"
import { entry } from "../support/fixtures.js"
import { motoLayer } from "../support/s3.js"
import { runIndexStoreContract } from "./RunIndexStoreContract.js"

const runIndexOnMoto = (paging?: Paging) =>
  ObjectRunIndexStore.layer.pipe(Layer.provideMerge(motoLayer(paging)))

// moto 5.2.1 deletes a key whatever ETag DeleteObjects names for it.
runIndexStoreContract("s3 on moto", runIndexOnMoto, { honoursDeleteVersion: false })

describe("S3 run index on moto", () => {
  it.effect(
    "of 50 requests claiming one run at once, exactly one wins and the others are told its name",
    () =>
      Effect.gen(function* () {
        const store = yield* RunIndexStore
        const objects = yield* ObjectStore
        const contenders = Array.from({ length: 50 }, (_, index) =>
          entry("apply", 4242, `req_contender_${index}`),
        )
        const claims = yield* Effect.forEach(contenders, (contender) => store.claim(contender), {
          concurrency: "unbounded",
        })

        const winners = claims.flatMap((claim) => (claim._tag === "Claimed" ? [claim.entry] : []))
        assert.strictEqual(winners.length, 1)
        const winner = winners[0]!
        const owners = claims.flatMap((claim) => (claim._tag === "OwnedByOther" ? [claim.owner] : []))
        assert.deepStrictEqual(owners, Array(49).fill(winner.requestId))

        const stored = yield* objects.get(keyPath(winner))
        assert.deepStrictEqual(
          Option.map(stored, (object) => object.body),
          Option.some(encodeEntry(winner)),
        )
      }).pipe(Effect.provide(runIndexOnMoto())),
  )
})

describe("S3 object store on moto", () => {
  const path = "requests/req_a.json"

  it.effect("a write conditional on the current etag succeeds and returns the new etag", () =>
    Effect.gen(function* () {
      const objects = yield* ObjectStore
      const first = yield* objects.put(path, '{"version":1}', WriteCondition.IfAbsent())
      assert.strictEqual(first._tag, "Written")
      const read = yield* objects.get(path)
      const etag = Option.getOrThrow(read).etag
      assert.strictEqual(first._tag === "Written" && first.etag, etag)

      const second = yield* objects.put(path, '{"version":2}', WriteCondition.IfMatch({ etag }))
      assert.strictEqual(second._tag, "Written")
      assert.notStrictEqual(second._tag === "Written" && second.etag, etag)
      const reread = yield* objects.get(path)
      assert.strictEqual(Option.getOrThrow(reread).body, '{"version":2}')
    }).pipe(Effect.provide(motoLayer())),
  )

  it.effect("a write conditional on a stale etag is PreconditionFailed and changes nothing", () =>
    Effect.gen(function* () {
      const objects = yield* ObjectStore
      const first = yield* objects.put(path, '{"version":1}', WriteCondition.Always())
      const staleEtag = first._tag === "Written" ? first.etag : ""
      yield* objects.put(path, '{"version":2}', WriteCondition.Always())

      const late = yield* objects.put(path, '{"version":3}', WriteCondition.IfMatch({ etag: staleEtag }))
      assert.strictEqual(late._tag, "PreconditionFailed")
      assert.strictEqual(Option.getOrThrow(yield* objects.get(path)).body, '{"version":2}')
    }).pipe(Effect.provide(motoLayer())),
  )

  it.effect(
    "a write conditional on an etag of a missing object is PreconditionFailed and writes nothing",
    () =>
      Effect.gen(function* () {
        const objects = yield* ObjectStore
        const outcome = yield* objects.put(
          path,
          "{}",
          WriteCondition.IfMatch({ etag: '"d41d8cd98f00b204e9800998ecf8427e"' }),
        )
        assert.strictEqual(outcome._tag, "PreconditionFailed")
        assert.isTrue(Option.isNone(yield* objects.get(path)))
      }).pipe(Effect.provide(motoLayer())),
  )
})
