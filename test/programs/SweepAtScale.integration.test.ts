import { PutObjectCommand } from "@aws-sdk/client-s3"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import * as ObjectRunIndexStore from "../../src/adapters/ObjectRunIndexStore.js"
import * as MemoryObjectStore from "../../src/adapters/objects/MemoryObjectStore.js"
import { ObjectStore, WriteCondition } from "../../src/adapters/objects/ObjectStore.js"
import { S3ClientService } from "../../src/adapters/objects/S3Client.js"
import { encodeEntry, type RunIndexEntry } from "../../src/domain/RunIndexEntry.js"
import { keyPath } from "../../src/domain/RunIndexKey.js"
import { workflowKinds } from "../../src/domain/WorkflowKind.js"
import { sweepBatchSize, sweepIndex } from "../../src/programs/Sweep.js"
import { countingObjectStore, emptyCalls, type ObjectStoreCalls } from "../support/countingObjectStore.js"
import { entry } from "../support/fixtures.js"
import { MotoBucket, motoLayer } from "../support/s3.js"
import { countS3Calls } from "../support/s3Calls.js"

const now = Date.parse("2025-06-01T00:00:00.000Z")

/** Entry `index` of a large index: every other one expired, kinds in turn. */
const plantedEntry = (index: number): RunIndexEntry =>
  entry(
    workflowKinds[index % workflowKinds.length]!,
    1_000_000 + index,
    `req_scale_${index}`,
    "2025-01-15T10:00:00.000Z",
    index % 2 === 0 ? "2025-04-15T10:00:00.000Z" : "2025-09-01T00:00:00.000Z",
  )

const pages = (count: number) => Math.ceil(count / 1000)

/**
 * Bounded memory, shown by how the adapters page rather than by timing: the listing is fetched a
 * page of at most 1,000 keys at a time, deletes go out in batches of at most 1,000, and the first
 * batch is sent after at most a few pages were listed, so the sweep never holds the listing.
 */
describe("a sweep over a large index pages through it", () => {
  // The million-entry run and its memory are the benchmark's (`npm run bench -- retention`); here the
  // paging and batching are shown over enough pages to see them, in seconds rather than minutes.
  const million = 50_000
  const calls: ObjectStoreCalls = emptyCalls()
  const memoryStore = ObjectRunIndexStore.layer.pipe(
    Layer.provideMerge(countingObjectStore(calls).pipe(Layer.provide(MemoryObjectStore.layerMemory))),
  )

  it.effect(
    `${million.toLocaleString("en")} entries on the memory store: 50 list pages of 1,000, 25 batched deletes`,
    () =>
      Effect.gen(function* () {
        const objects = yield* ObjectStore
        yield* TestClock.setTime(now)
        for (let index = 0; index < million; index += 1) {
          const planted = plantedEntry(index)
          yield* objects.put(keyPath(planted), encodeEntry(planted), WriteCondition.Always())
        }
        const report = yield* sweepIndex()
        assert.deepStrictEqual(
          [report.scanned, report.expired, report.kept, report.deleted, report.failed],
          [million, million / 2, million / 2, million / 2, 0],
        )
        assert.deepStrictEqual(
          [calls.listPages, calls.largestListPage, calls.deleteManys, calls.largestDeleteBatch],
          [pages(million), 1000, pages(million / 2), sweepBatchSize],
        )
        assert.isAtMost(calls.listPagesAtFirstDelete ?? Number.POSITIVE_INFINITY, 3)
        assert.strictEqual(calls.gets, million)
      }).pipe(Effect.provide(memoryStore)),
    600_000,
  )

  const twentyThousand = 4_000
  it.effect(
    `${twentyThousand.toLocaleString("en")} entries on moto: 4 ListObjectsV2 pages of 1,000, 2 DeleteObjects of 1,000, 16 gets in flight`,
    () =>
      Effect.gen(function* () {
        const client = yield* S3ClientService
        const bucket = yield* MotoBucket
        yield* TestClock.setTime(now)
        // Planted with the bare SDK, many at once: moto serves a hundred or so requests a second.
        yield* Effect.forEach(
          Array.from({ length: twentyThousand }, (_, index) => plantedEntry(index)),
          (planted) =>
            Effect.promise((signal) =>
              client.send(
                new PutObjectCommand({ Bucket: bucket, Key: keyPath(planted), Body: encodeEntry(planted) }),
                { abortSignal: signal },
              ),
            ),
          { concurrency: 32, discard: true },
        )
        const s3 = countS3Calls(client)
        const report = yield* sweepIndex()
        assert.deepStrictEqual(
          [report.scanned, report.expired, report.kept, report.deleted, report.failed],
          [twentyThousand, twentyThousand / 2, twentyThousand / 2, twentyThousand / 2, 0],
        )
        assert.strictEqual(s3.count("ListObjectsV2Command"), pages(twentyThousand))
        assert.deepStrictEqual(new Set(s3.listPageSizes), new Set([1000]))
        assert.strictEqual(s3.count("DeleteObjectsCommand"), pages(twentyThousand / 2))
        assert.strictEqual(s3.count("GetObjectCommand"), twentyThousand)
        assert.isAtMost(s3.maxGetsInFlight(), 16)
        const listsBeforeFirstDelete = s3.sent
          .slice(0, s3.sent.indexOf("DeleteObjectsCommand"))
          .filter((command) => command === "ListObjectsV2Command").length
        assert.isAtMost(listsBeforeFirstDelete, 3)
      }).pipe(Effect.provide(ObjectRunIndexStore.layer.pipe(Layer.provideMerge(motoLayer())))),
    1_800_000,
  )
})
