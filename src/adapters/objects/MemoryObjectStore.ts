import { Array as Arr, Chunk, Clock, Effect, Layer, Option, Stream } from "effect"
import { type DeleteFailure, StoreError } from "../../ports/StoreError.js"
import { ObjectStore, type Paging, pagingOf, type StoredObject, WriteOutcome } from "./ObjectStore.js"

interface MemoryObject extends StoredObject {
  /** Epoch ms from Effect's Clock, so `TestClock` sets the age of what a test writes. */
  readonly lastModified: number
}

/**
 * An object store in this process's memory, paging and batching as told (S3's 1,000 by default);
 * every build of the layer starts empty.
 */
export const layerMemoryWith = (paging: Paging = {}): Layer.Layer<ObjectStore> =>
  Layer.sync(ObjectStore, () => {
    const { pageSize, deleteBatchSize } = pagingOf(paging)
    const objects = new Map<string, MemoryObject>()
    let version = 0
    const write = (path: string, body: string, lastModified: number) => {
      version += 1
      const etag = `"m${version}"`
      objects.set(path, { body, etag, lastModified })
      return WriteOutcome.Written({ etag })
    }
    /** One batch in one synchronous step, as one `DeleteObjects` call is one request. */
    const deleteBatch = (batch: ReadonlyArray<{ readonly path: string; readonly version?: string }>) =>
      Effect.sync(() =>
        batch.flatMap(({ path, version }): Array<DeleteFailure> => {
          const current = objects.get(path)
          if (current !== undefined && version !== undefined && current.etag !== version) {
            return [
              {
                path,
                error: new StoreError({
                  reason: "Conflict",
                  operation: "delete",
                  detail: `${path} changed since it was listed (ETag ${current.etag}, listed ${version})`,
                }),
              },
            ]
          }
          objects.delete(path)
          return []
        }),
      )
    return ObjectStore.of({
      get: (path) =>
        Effect.sync(() =>
          Option.map(Option.fromNullable(objects.get(path)), ({ body, etag }) => ({ body, etag })),
        ),
      put: (path, body, condition) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const current = objects.get(path)
          switch (condition._tag) {
            case "Always":
              return write(path, body, now)
            case "IfAbsent":
              return current === undefined ? write(path, body, now) : WriteOutcome.PreconditionFailed()
            case "IfMatch":
              return current?.etag === condition.etag
                ? write(path, body, now)
                : WriteOutcome.PreconditionFailed()
          }
        }),
      delete: (path) => Effect.sync(() => void objects.delete(path)),
      deleteMany: (targets) =>
        Effect.map(Effect.forEach(Arr.chunksOf(targets, deleteBatchSize), deleteBatch), (refused) =>
          refused.flat(),
        ),
      list: (prefix) =>
        Stream.suspend(() => {
          const paths = [...objects.keys()].filter((path) => path.startsWith(prefix)).sort()
          const pages = Arr.chunksOf(paths, pageSize)
          // A page is read when the stream reaches it, so objects removed since are left out.
          const readPage = (page: ReadonlyArray<string>) =>
            Chunk.unsafeFromArray(
              page.flatMap((path) => {
                const found = objects.get(path)
                return found === undefined
                  ? []
                  : [{ path, lastModified: found.lastModified, version: found.etag }]
              }),
            )
          return Stream.unfoldChunkEffect(0, (index) =>
            Effect.sync(() =>
              index < pages.length
                ? Option.some([readPage(pages[index]!), index + 1] as const)
                : Option.none(),
            ),
          )
        }),
    })
  })

/** An object store in this process's memory; every build of the layer starts empty. */
export const layerMemory: Layer.Layer<ObjectStore> = layerMemoryWith()
