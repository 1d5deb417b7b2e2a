import { Context, Effect, Layer, Ref, Stream } from "effect"
import * as MemoryObjectStore from "../../adapters/objects/MemoryObjectStore.js"
import { ObjectStore } from "../../adapters/objects/ObjectStore.js"
import { StoreError } from "../../ports/StoreError.js"

/** Whether the switch is on, and which paths it fails while on. */
export interface FaultSwitchState {
  readonly on: boolean
  readonly prefix: string
}

/**
 * Turns an object store's failures on and off: while on, reads, writes and listings under `prefix`
 * fail as S3 throttling does (`SlowDown`), before they have any effect. For tests and simulations
 * of an outage: flip it on, watch what the programs do, flip it off.
 */
export class FaultSwitch extends Context.Tag("run-index/FaultSwitch")<
  FaultSwitch,
  Ref.Ref<FaultSwitchState>
>() {}

/** `objects` seen through the switch. */
export const wrap = (objects: ObjectStore["Type"], state: Ref.Ref<FaultSwitchState>): ObjectStore["Type"] => {
  const failing = (path: string) => Effect.map(Ref.get(state), (now) => now.on && path.startsWith(now.prefix))
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
    deleteMany: (targets) => objects.deleteMany(targets),
    list: (prefix) =>
      Stream.unwrap(
        Effect.map(failing(prefix), (fail) => (fail ? Stream.fail(slowDown("list")) : objects.list(prefix))),
      ),
  })
}

/** The provided object store behind a switch, off at first, failing `requests/` when turned on. */
export const layer: Layer.Layer<ObjectStore | FaultSwitch, never, ObjectStore> = Layer.effectContext(
  Effect.gen(function* () {
    const objects = yield* ObjectStore
    const state = yield* Ref.make<FaultSwitchState>({ on: false, prefix: "requests/" })
    return Context.make(FaultSwitch, state).pipe(Context.add(ObjectStore, wrap(objects, state)))
  }),
)

/** A fresh memory object store behind a switch. */
export const layerMemory: Layer.Layer<ObjectStore | FaultSwitch> = layer.pipe(
  Layer.provide(MemoryObjectStore.layerMemory),
)
