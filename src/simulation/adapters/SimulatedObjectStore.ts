/**
 * Object stores as a simulation sees them: a view per client (the dispatcher, the webhook service)
 * with its own latency, seeded faults and operation counts over one shared store; a prefix that
 * keeps a simulation's objects apart in a real bucket; real I/O marked for the virtual runtime.
 */
import { Effect, FiberRef, Option, Stream } from "effect"
import { ObjectStore } from "../../adapters/objects/ObjectStore.js"
import { StoreError } from "../../ports/StoreError.js"
import type { VirtualRuntime } from "../run/VirtualRuntime.js"
import { unitInterval } from "./github/SimulatorRandom.js"

type Objects = ObjectStore["Type"]

/**
 * Runs `after` once each page of a listing is fetched (each pull that yields or fails, not the one
 * that finds the end); its failure fails the stream.
 */
export const afterEachPage = <A, E, R>(
  stream: Stream.Stream<A, E, R>,
  after: Effect.Effect<void, E>,
): Stream.Stream<A, E, R> =>
  Stream.fromPull(
    Effect.map(Stream.toPull(stream), (pull) =>
      pull.pipe(
        Effect.tap(() => Effect.mapError(after, Option.some)),
        Effect.tapError((end) =>
          Option.isSome(end) ? Effect.mapError(Effect.ignore(after), Option.some) : Effect.void,
        ),
      ),
    ),
  )

/** Every path under `prefix`: a simulation's own corner of a shared bucket or directory. */
export const prefixed = (objects: Objects, prefix: string): Objects =>
  ObjectStore.of({
    get: (path) => objects.get(prefix + path),
    put: (path, body, condition) => objects.put(prefix + path, body, condition),
    delete: (path) => objects.delete(prefix + path),
    deleteMany: (targets) =>
      Effect.map(
        objects.deleteMany(targets.map((target) => ({ ...target, path: prefix + target.path }))),
        (failures) => failures.map((failure) => ({ ...failure, path: failure.path.slice(prefix.length) })),
      ),
    list: (listPrefix) =>
      objects
        .list(prefix + listPrefix)
        .pipe(Stream.map((listed) => ({ ...listed, path: listed.path.slice(prefix.length) }))),
  })

/** A store that does real I/O, marked so that virtual time waits for it. */
export const external = (objects: Objects, runtime: VirtualRuntime): Objects =>
  ObjectStore.of({
    get: (path) => runtime.external(objects.get(path)),
    put: (path, body, condition) => runtime.external(objects.put(path, body, condition)),
    delete: (path) => runtime.external(objects.delete(path)),
    deleteMany: (targets) => runtime.external(objects.deleteMany(targets)),
    list: (prefix) =>
      Stream.fromPull(Effect.map(Stream.toPull(objects.list(prefix)), (pull) => runtime.external(pull))),
  })

/** What one client asked of the store; `faults` are the calls failed on purpose. */
export interface StoreOperationCounts {
  get: number
  put: number
  delete: number
  listPages: number
  faults: number
}

export const emptyStoreCounts = (): StoreOperationCounts => ({
  get: 0,
  put: 0,
  delete: 0,
  listPages: 0,
  faults: 0,
})

export const totalStoreOperations = (counts: StoreOperationCounts): number =>
  counts.get + counts.put + counts.delete + counts.listPages

export interface ViewOptions {
  readonly seed: number
  /** Keeps this view's draws independent of other views'. */
  readonly salt: number
  /** Simulated time each call takes before it reaches the store, drawn uniformly. */
  readonly latencyMillis: { readonly min: number; readonly max: number }
  /** The chance that a call fails as S3 throttling or a 500 does, before any effect; read per call. */
  readonly faultProbability: () => number
  readonly counts: StoreOperationCounts
  /** Where the calls of the current fiber are also counted, when it set one (a delivery does). */
  readonly tally?: FiberRef.FiberRef<{ operations: number } | undefined>
}

/**
 * One client's view of the store: each call first spends its latency in simulated time, then may
 * fail (seeded: `Throttled` or `Unavailable`, before the call has any effect, as S3's `SlowDown`
 * and 500s do), and is counted.
 */
export const view = (objects: Objects, options: ViewOptions): Objects => {
  let calls = 0
  const { min, max } = options.latencyMillis
  const tallied =
    options.tally === undefined
      ? Effect.void
      : Effect.flatMap(FiberRef.get(options.tally), (tally) =>
          Effect.sync(() => {
            if (tally !== undefined) tally.operations += 1
          }),
        )
  const arrive = (operation: string) =>
    Effect.zipRight(
      tallied,
      Effect.suspend(() => {
        calls += 1
        const latency = Math.round(min + (max - min) * unitInterval(options.seed, options.salt, calls, 0))
        const draw = unitInterval(options.seed, options.salt, calls, 1)
        const delay = latency > 0 ? Effect.sleep(latency) : Effect.void
        if (draw >= options.faultProbability()) return delay
        options.counts.faults += 1
        const throttled = draw < options.faultProbability() / 2
        return Effect.zipRight(
          delay,
          Effect.fail(
            new StoreError({
              reason: throttled ? "Throttled" : "Unavailable",
              operation,
              detail: throttled ? "SlowDown (simulated)" : "500 InternalError (simulated)",
            }),
          ),
        )
      }),
    )
  return ObjectStore.of({
    get: (path) =>
      Effect.zipRight(
        Effect.sync(() => options.counts.get++),
        Effect.zipRight(arrive("get"), objects.get(path)),
      ),
    put: (path, body, condition) =>
      Effect.zipRight(
        Effect.sync(() => options.counts.put++),
        Effect.zipRight(arrive("put"), objects.put(path, body, condition)),
      ),
    delete: (path) =>
      Effect.zipRight(
        Effect.sync(() => options.counts.delete++),
        Effect.zipRight(arrive("delete"), objects.delete(path)),
      ),
    deleteMany: (targets) =>
      Effect.zipRight(
        Effect.sync(() => options.counts.delete++),
        Effect.zipRight(arrive("deleteMany"), objects.deleteMany(targets)),
      ),
    list: (prefix) =>
      afterEachPage(
        objects.list(prefix),
        Effect.zipRight(
          Effect.sync(() => options.counts.listPages++),
          arrive("list"),
        ),
      ),
  })
}
