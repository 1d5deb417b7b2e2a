import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Array as Arr, Duration, Effect, Layer, Option } from "effect"
import { type DeleteFailure, StoreError } from "../../ports/StoreError.js"
import {
  etagOf,
  isReason,
  removeQuietly,
  tempNameFor,
  toStoreError,
  versionOf,
} from "./directory/DirectoryFiles.js"
import { removeLeftovers } from "./directory/DirectoryLeftovers.js"
import { makeDirectoryListing } from "./directory/DirectoryListing.js"
import { makeDirectoryLocks } from "./directory/DirectoryLocks.js"
import { type DeleteTarget, ObjectStore, type Paging, pagingOf, WriteOutcome } from "./ObjectStore.js"

/** One path segment of an object key; dot-files are the store's own (temp files, locks). */
const segmentPattern = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/

export interface DirectoryStoreOptions extends Paging {
  /**
   * How long a compare-and-set waits for another writer's lock before failing with reason
   * `Throttled` (2 seconds by default): short enough that the caller's retries still answer a
   * webhook within GitHub's 10 s.
   */
  readonly lockWait?: Duration.DurationInput
  /**
   * A lock, temp file or takeover marker older than this was left by a writer that died, and is
   * removed (10 seconds by default; a live writer holds a lock for a few milliseconds). Judged by
   * the file's mtime, so against wall time, not Effect's Clock. A lock whose holder is a process of
   * this host that no longer exists is stale at once.
   */
  readonly staleAfter?: Duration.DurationInput
}

export const defaultLockWait = Duration.seconds(2)
export const defaultStaleAfter = Duration.seconds(10)

/**
 * Objects as files below `root`, with the same key layout as the bucket. Writes go to a temp file
 * first, then `rename` (replace) or `link` (create only if absent: atomic across processes, and the
 * file is complete the moment it is visible). Compare-and-set holds a lock file (DirectoryLocks).
 * Building the layer removes what writers that died left behind: temp files, stale locks.
 *
 * Meant for one host: a lock whose holder names this host and a process that is gone is broken at
 * once; locks of other hosts only by age.
 */
export const layer = (
  root: string,
  options: DirectoryStoreOptions = {},
): Layer.Layer<ObjectStore, never, FileSystem.FileSystem | Path.Path> =>
  Layer.effect(
    ObjectStore,
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const pathApi = yield* Path.Path
      const base = pathApi.resolve(root)
      const { pageSize, deleteBatchSize } = pagingOf(options)
      const staleAfterMillis = Duration.toMillis(options.staleAfter ?? defaultStaleAfter)
      const lockWait = Duration.decode(options.lockWait ?? defaultLockWait)

      const locate = (path: string) =>
        Effect.suspend(() => {
          const segments = path.split("/")
          if (segments.length === 0 || !segments.every((segment) => segmentPattern.test(segment))) {
            return Effect.dieMessage(`object path ${JSON.stringify(path)} is not a safe relative key`)
          }
          const file = pathApi.join(base, ...segments)
          return Effect.succeed({ file, directory: pathApi.dirname(file), name: pathApi.basename(file) })
        })

      const discard = (file: string) => removeQuietly(fs, file)

      const writeTemp = (directory: string, name: string, body: string, directoryExists = false) =>
        Effect.gen(function* () {
          if (!directoryExists) yield* fs.makeDirectory(directory, { recursive: true })
          const temp = pathApi.join(directory, tempNameFor(name))
          yield* fs.writeFileString(temp, body)
          return temp
        })

      const read = (file: string) =>
        fs.readFileString(file).pipe(
          Effect.map((body) => Option.some({ body, etag: etagOf(body) })),
          Effect.catchIf(
            (error) => isReason(error, "NotFound"),
            () => Effect.succeed(Option.none()),
          ),
        )

      const locks = yield* makeDirectoryLocks({ staleAfterMillis, lockWait })
      yield* removeLeftovers(base, locks, staleAfterMillis)
      const list = yield* makeDirectoryListing(base, pageSize)

      const get = Effect.fn("DirectoryObjectStore.get")(function* (path: string) {
        const { file } = yield* locate(path)
        return yield* read(file).pipe(Effect.mapError(toStoreError("get", path)))
      })

      const put = Effect.fn("DirectoryObjectStore.put")(function* (
        path: string,
        body: string,
        condition: Parameters<ObjectStore["Type"]["put"]>[2],
      ) {
        const { file, directory, name } = yield* locate(path)
        const written = WriteOutcome.Written({ etag: etagOf(body) })
        const attempt = Effect.gen(function* () {
          switch (condition._tag) {
            case "Always": {
              const temp = yield* writeTemp(directory, name, body)
              yield* fs.rename(temp, file).pipe(Effect.onError(() => discard(temp)))
              return written
            }
            case "IfAbsent": {
              const temp = yield* writeTemp(directory, name, body)
              return yield* fs.link(temp, file).pipe(
                Effect.as(written),
                Effect.catchIf(
                  (error) => isReason(error, "AlreadyExists"),
                  () => Effect.succeed(WriteOutcome.PreconditionFailed()),
                ),
                Effect.ensuring(discard(temp)),
              )
            }
            case "IfMatch": {
              // An object already changed fails the condition without a lock: under contention most
              // writers lose, and they learn it in one read, before queueing and again at their turn.
              const changed = Effect.map(read(file), (current) =>
                Option.isNone(current) || current.value.etag !== condition.etag
                  ? Option.some(WriteOutcome.PreconditionFailed())
                  : Option.none(),
              )
              const early = yield* changed
              if (Option.isSome(early)) return early.value
              const lockFile = pathApi.join(directory, `.${name}.lock`)
              return yield* locks.withLock(lockFile, changed, (token) =>
                Effect.gen(function* () {
                  const late = yield* changed
                  if (Option.isSome(late)) return late.value
                  const temp = yield* writeTemp(directory, name, body, true)
                  if (!(yield* locks.stillHolds(lockFile, token))) {
                    yield* discard(temp)
                    return yield* new StoreError({
                      reason: "Throttled",
                      operation: "put",
                      detail: `${path}: lost its lock to another writer before writing`,
                    })
                  }
                  yield* fs.rename(temp, file).pipe(Effect.onError(() => discard(temp)))
                  return written
                }),
              )
            }
          }
        })
        return yield* attempt.pipe(
          Effect.catchTag("LockHeld", () =>
            Effect.fail(
              new StoreError({
                reason: "Throttled",
                operation: "put",
                detail: `${path} stayed locked by another writer`,
              }),
            ),
          ),
          Effect.catchIf(
            (error): error is PlatformError => !(error instanceof StoreError),
            (error) => Effect.fail(toStoreError("put", path)(error)),
          ),
        )
      })

      const remove = Effect.fn("DirectoryObjectStore.delete")(function* (path: string) {
        const { file } = yield* locate(path)
        yield* fs.remove(file, { force: true }).pipe(Effect.mapError(toStoreError("delete", path)))
      })

      /**
       * Removes `path` only if it is still `version`. A directory has no conditional unlink, so the
       * file is first renamed aside (atomic): what was moved is then judged, and put back if it
       * changed since it was listed — unless a newer write took the path meanwhile, which wins.
       * Only a changed file is ever missing from its path, for the moment it is aside.
       */
      const removeIfUnchanged = (path: string, version: string) =>
        Effect.gen(function* () {
          const { file, directory, name } = yield* locate(path)
          const aside = pathApi.join(directory, tempNameFor(name))
          const moved = yield* fs.rename(file, aside).pipe(
            Effect.as(true),
            Effect.catchIf(
              (error) => isReason(error, "NotFound"),
              () => Effect.succeed(false),
            ),
          )
          if (!moved) return Option.none<DeleteFailure>()
          const current = versionOf(yield* fs.stat(aside))
          if (current === version) {
            yield* fs.remove(aside)
            return Option.none<DeleteFailure>()
          }
          yield* fs.link(aside, file).pipe(
            Effect.catchIf(
              (error) => isReason(error, "AlreadyExists"),
              () => Effect.void,
            ),
            Effect.ensuring(discard(aside)),
          )
          return Option.some<DeleteFailure>({
            path,
            error: new StoreError({
              reason: "Conflict",
              operation: "delete",
              detail: `${path} changed since it was listed (version ${current}, listed ${version})`,
            }),
          })
        }).pipe(Effect.mapError(toStoreError("delete", path)))

      /**
       * `deleteBatchSize` files at a time, 16 of them in flight: a directory has no batch delete;
       * refusals are collected.
       */
      const removeMany = Effect.fn("DirectoryObjectStore.deleteMany")(function* (
        targets: ReadonlyArray<DeleteTarget>,
      ) {
        const removeOne = ({ path, version }: DeleteTarget) =>
          (version === undefined
            ? Effect.as(remove(path), Option.none<DeleteFailure>())
            : removeIfUnchanged(path, version)
          ).pipe(Effect.catchAll((error) => Effect.succeed(Option.some<DeleteFailure>({ path, error }))))
        const outcomes = yield* Effect.forEach(Arr.chunksOf(targets, deleteBatchSize), (batch) =>
          Effect.forEach(batch, removeOne, { concurrency: 16 }),
        )
        return outcomes.flat().flatMap(Option.toArray)
      })

      return ObjectStore.of({ get, put, delete: remove, deleteMany: removeMany, list })
    }),
  )
