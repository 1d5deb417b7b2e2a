import { Chunk, Effect, Either, Layer, Option, Schedule, Stream } from "effect"
import { InvalidEntry, validateEntry } from "../domain/EntryValidation.js"
import { encodeEntry, type RunIndexEntry } from "../domain/RunIndexEntry.js"
import { keyPath, kindPrefix, parseKeyPath, type RunIndexKey, runIndexPrefix } from "../domain/RunIndexKey.js"
import { Claim, Listed, type ListOptions, Lookup, RunIndexStore } from "../ports/RunIndexStore.js"
import { type DeleteTarget, StoreError } from "../ports/StoreError.js"
import { type ListedObject, ObjectStore, WriteCondition } from "./objects/ObjectStore.js"

/** Bodies fetched at once while listing: enough to hide S3 latency, few enough to bound memory. */
const listConcurrency = 16

/** A claim that lost to an entry which then vanished (a concurrent delete) tries again this often. */
const claimRaces = Schedule.recurs(3)

class EntryVanished {
  readonly _tag = "EntryVanished"
}

/** The run index rules (validation, claim read-back) over any object store. */
export const layer: Layer.Layer<RunIndexStore, never, ObjectStore> = Layer.effect(
  RunIndexStore,
  Effect.gen(function* () {
    const objects = yield* ObjectStore

    // The read path of every webhook: untraced, since a span costs more than the rest of a memory
    // get (bench "lookup"); the calling program's span covers it.
    const get = Effect.fnUntraced(function* (key: RunIndexKey) {
      const stored = yield* objects.get(keyPath(key))
      if (Option.isNone(stored)) return Lookup.Missing()
      return Either.match(validateEntry(key, stored.value.body), {
        onLeft: (invalid) => Lookup.Invalid({ invalid }),
        onRight: (entry) => Lookup.Found({ entry }),
      })
    })

    const put = Effect.fn("RunIndexStore.put")(function* (entry: RunIndexEntry) {
      yield* objects.put(keyPath(entry), encodeEntry(entry), WriteCondition.Always())
    })

    const claimOnce = (entry: RunIndexEntry) =>
      Effect.gen(function* () {
        const outcome = yield* objects.put(keyPath(entry), encodeEntry(entry), WriteCondition.IfAbsent())
        if (outcome._tag === "Written") return Claim.Claimed({ entry })
        // Someone holds the slot — possibly this very claim, if a retried write had already landed.
        const existing = yield* get(entry)
        switch (existing._tag) {
          case "Found":
            return existing.entry.requestId === entry.requestId
              ? Claim.AlreadyYours({ entry: existing.entry })
              : Claim.OwnedByOther({ entry: existing.entry, owner: existing.entry.requestId })
          case "Invalid":
            return Claim.Blocked({ invalid: existing.invalid })
          case "Missing":
            return yield* Effect.fail(new EntryVanished())
        }
      })

    const claim = Effect.fn("RunIndexStore.claim")(function* (entry: RunIndexEntry) {
      return yield* claimOnce(entry).pipe(
        Effect.retry({ schedule: claimRaces, while: (error) => error instanceof EntryVanished }),
        Effect.catchIf(
          (error): error is EntryVanished => error instanceof EntryVanished,
          () =>
            new StoreError({
              reason: "Conflict",
              operation: "claim",
              detail: `the entry for ${entry.kind} run ${entry.runId} kept appearing and vanishing`,
            }),
        ),
      )
    })

    const remove = Effect.fn("RunIndexStore.delete")(function* (key: RunIndexKey) {
      yield* objects.delete(keyPath(key))
    })

    const removeMany = Effect.fn("RunIndexStore.deleteMany")(function* (
      targets: ReadonlyArray<DeleteTarget>,
    ) {
      const outside = targets.find(({ path }) => !path.startsWith(runIndexPrefix))
      if (outside !== undefined) {
        return yield* Effect.dieMessage(`${JSON.stringify(outside.path)} is not under ${runIndexPrefix}`)
      }
      return yield* objects.deleteMany(targets)
    })

    const prefixOf = (options: ListOptions | undefined) =>
      options?.kind === undefined ? runIndexPrefix : kindPrefix(options.kind)

    const readListed = ({ path, version }: ListedObject): Effect.Effect<Option.Option<Listed>, StoreError> =>
      Effect.gen(function* () {
        const key = parseKeyPath(path)
        if (Option.isNone(key)) {
          return Option.some(
            Listed.Invalid({
              path,
              version,
              key: undefined,
              invalid: new InvalidEntry({
                reason: "UnrecognisedKey",
                detail: `${path} is not a run index key`,
              }),
            }),
          )
        }
        const found = yield* get(key.value)
        switch (found._tag) {
          case "Found":
            return Option.some(Listed.Valid({ path, version, entry: found.entry }))
          case "Invalid":
            return Option.some(Listed.Invalid({ path, version, key: key.value, invalid: found.invalid }))
          case "Missing":
            return Option.none()
        }
      })

    return RunIndexStore.of({
      get,
      put,
      claim,
      delete: remove,
      deleteMany: removeMany,
      list: (options) =>
        objects.list(prefixOf(options)).pipe(
          // A page's bodies at a time: Stream.mapEffect with concurrency costs ~0.5 ms an element.
          Stream.mapChunksEffect((page) =>
            Effect.map(Effect.forEach(page, readListed, { concurrency: listConcurrency }), (read) =>
              Chunk.unsafeFromArray(read.flatMap(Option.toArray)),
            ),
          ),
        ),
      listKeys: (options) =>
        objects.list(prefixOf(options)).pipe(
          Stream.mapChunks(
            Chunk.map(({ path, lastModified, version }) => ({
              path,
              key: Option.getOrUndefined(parseKeyPath(path)),
              lastModified,
              version,
            })),
          ),
        ),
    })
  }),
)
