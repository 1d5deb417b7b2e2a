import { Context, Effect, Layer, Ref, Stream } from "effect"
import * as MemoryObjectStore from "../../src/adapters/objects/MemoryObjectStore.js"
import { ObjectStore } from "../../src/adapters/objects/ObjectStore.js"
import { StoreError } from "../../src/ports/StoreError.js"

/** Turns a memory object store's failures on and off: while on, writes under `prefix` fail as S3 throttling does. */
export class FaultSwitch extends Context.Tag("test/FaultSwitch")<
  FaultSwitch,
  Ref.Ref<{ on: boolean; prefix: string }>
>() {}

export const layer = Layer.effect(
  ObjectStore,
  Effect.gen(function* () {
    const objects = yield* ObjectStore
    const fault = yield* FaultSwitch
    const failing = (path: string) =>
      Effect.map(Ref.get(fault), (state) => state.on && path.startsWith(state.prefix))
    const slowDown = (operation: string) =>
      new StoreError({ reason: "Throttled", operation, detail: "SlowDown (injected)" })
    return ObjectStore.of({
      get: (path) =>
        Effect.flatMap(failing(path), (fail) => (fail ? Effect.fail(slowDown("get")) : objects.get(path))),
      put: (path, body, condition) =>
        Effect.flatMap(failing(path), (fail) =>
          fail ? Effect.fail(slowDown("put")) : objects.put(path, body, condition),
        ),
      delete: (path) => objects.delete(path),
      deleteMany: (paths) => objects.deleteMany(paths),
      list: (prefix) =>
        Stream.unwrap(
          Effect.map(failing(prefix), (fail) =>
            fail ? Stream.fail(slowDown("list")) : objects.list(prefix),
          ),
        ),
    })
  }),
).pipe(
  Layer.provideMerge(
    Layer.effect(FaultSwitch, Ref.make<{ on: boolean; prefix: string }>({ on: false, prefix: "requests/" })),
  ),
  Layer.provide(MemoryObjectStore.layerMemory),
)
