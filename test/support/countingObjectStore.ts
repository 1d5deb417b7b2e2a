import { Chunk, Effect, Layer, Stream } from "effect"
import { ObjectStore } from "../../src/adapters/objects/ObjectStore.js"

/** Calls into an object store, counted at the adapter boundary. */
export interface ObjectStoreCalls {
  gets: number
  puts: number
  deletes: number
  /** Batched deletes, and the largest batch. */
  deleteManys: number
  largestDeleteBatch: number
  /** Pages a listing pulled from the store (S3: ListObjectsV2 calls), and the largest page. */
  listPages: number
  largestListPage: number
  /** Listing pages pulled when the first batched delete was sent: how far listing runs ahead of deleting. */
  listPagesAtFirstDelete: number | undefined
}

export const emptyCalls = (): ObjectStoreCalls => ({
  gets: 0,
  puts: 0,
  deletes: 0,
  deleteManys: 0,
  largestDeleteBatch: 0,
  listPages: 0,
  largestListPage: 0,
  listPagesAtFirstDelete: undefined,
})

/** Store calls per 1,000 entries, for reports. */
export const callsPerThousand = (calls: ObjectStoreCalls, entries: number) => {
  const per = (count: number) => Math.round((count / entries) * 1000 * 1000) / 1000
  return {
    list: per(calls.listPages),
    get: per(calls.gets),
    deleteMany: per(calls.deleteManys),
    total: per(calls.listPages + calls.gets + calls.puts + calls.deletes + calls.deleteManys),
  }
}

/** `objects` with every call counted into `calls`. */
export const countCalls = (objects: ObjectStore["Type"], calls: ObjectStoreCalls): ObjectStore["Type"] =>
  ObjectStore.of({
    get: (path) =>
      Effect.zipRight(
        Effect.sync(() => calls.gets++),
        objects.get(path),
      ),
    put: (path, body, condition) =>
      Effect.zipRight(
        Effect.sync(() => calls.puts++),
        objects.put(path, body, condition),
      ),
    delete: (path) =>
      Effect.zipRight(
        Effect.sync(() => calls.deletes++),
        objects.delete(path),
      ),
    deleteMany: (targets) =>
      Effect.zipRight(
        Effect.sync(() => {
          calls.deleteManys += 1
          calls.largestDeleteBatch = Math.max(calls.largestDeleteBatch, targets.length)
          calls.listPagesAtFirstDelete ??= calls.listPages
        }),
        objects.deleteMany(targets),
      ),
    list: (prefix) =>
      objects.list(prefix).pipe(
        Stream.mapChunks((page) => {
          calls.listPages += 1
          calls.largestListPage = Math.max(calls.largestListPage, Chunk.size(page))
          return page
        }),
      ),
  })

/** The object store below, with every call counted into `calls`. */
export const countingObjectStore = (calls: ObjectStoreCalls) =>
  Layer.effect(
    ObjectStore,
    Effect.map(ObjectStore, (objects) => countCalls(objects, calls)),
  )
