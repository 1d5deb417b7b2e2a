import { Effect, Layer, Option, Stream } from "effect"
import { ObjectStore, type StoredObject, WriteOutcome } from "./ObjectStore.js"

const pageSize = 1000

/** An object store in this process's memory; every build of the layer starts empty. */
export const layerMemory: Layer.Layer<ObjectStore> = Layer.sync(ObjectStore, () => {
  const objects = new Map<string, StoredObject & { readonly version: number }>()
  let version = 0
  const write = (path: string, body: string) => {
    version += 1
    const etag = `"m${version}"`
    objects.set(path, { body, etag, version })
    return WriteOutcome.Written({ etag })
  }
  return ObjectStore.of({
    get: (path) =>
      Effect.sync(() =>
        Option.map(Option.fromNullable(objects.get(path)), ({ body, etag }) => ({ body, etag })),
      ),
    put: (path, body, condition) =>
      Effect.sync(() => {
        const current = objects.get(path)
        switch (condition._tag) {
          case "Always":
            return write(path, body)
          case "IfAbsent":
            return current === undefined ? write(path, body) : WriteOutcome.PreconditionFailed()
          case "IfMatch":
            return current?.etag === condition.etag ? write(path, body) : WriteOutcome.PreconditionFailed()
        }
      }),
    delete: (path) => Effect.sync(() => void objects.delete(path)),
    deleteMany: (paths) =>
      Effect.sync(() => {
        for (const path of paths) objects.delete(path)
        return []
      }),
    list: (prefix) =>
      Stream.suspend(() => {
        const paths = [...objects.keys()].filter((path) => path.startsWith(prefix)).sort()
        return Stream.fromIterable(paths).pipe(
          Stream.rechunk(pageSize),
          Stream.filterMap((path) =>
            Option.map(Option.fromNullable(objects.get(path)), ({ version }) => ({
              path,
              lastModified: version,
            })),
          ),
        )
      }),
  })
})
