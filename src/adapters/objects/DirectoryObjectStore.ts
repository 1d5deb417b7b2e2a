import { createHash, randomBytes } from "node:crypto"
import { FileSystem, Path } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Layer, Option, Schedule, Stream } from "effect"
import { type DeleteFailure, StoreError } from "../../ports/StoreError.js"
import { type ListedObject, ObjectStore, WriteOutcome } from "./ObjectStore.js"

/** One path segment of an object key; dot-files are the store's own (temp files, locks). */
const segmentPattern = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/

/** A compare-and-set waits this long at most for another process's lock. */
const lockWaits = Schedule.exponential("5 millis", 1.5).pipe(
  Schedule.union(Schedule.spaced("200 millis")),
  Schedule.upTo("10 seconds"),
)
/**
 * A lock older than this was left by a process that died mid-write, and is broken. Compared with
 * the file's mtime, so against wall time, not Effect's Clock. Known window: two processes breaking
 * the same stale lock at the same instant could both proceed; it needs a crashed writer first.
 */
const staleLockMillis = 30_000

const etagOf = (body: string) => `"${createHash("md5").update(body).digest("hex")}"`

const toStoreError =
  (operation: string, path: string) =>
  (error: PlatformError): StoreError => {
    const reason =
      error._tag === "SystemError"
        ? error.reason === "PermissionDenied"
          ? "AccessDenied"
          : error.reason === "Busy" || error.reason === "WouldBlock" || error.reason === "TimedOut"
            ? "Throttled"
            : "Unavailable"
        : "Unknown"
    return new StoreError({ reason, operation, detail: `${path}: ${error.message}`, cause: error })
  }

const isReason = (error: PlatformError, reason: string) =>
  error._tag === "SystemError" && error.reason === reason

class LockHeld {
  readonly _tag = "LockHeld"
}

/**
 * Objects as files below `root`, with the same key layout as the bucket. Writes go to a temp file
 * first, then `rename` (replace) or `link` (create only if absent: atomic across processes, and the
 * file is complete the moment it is visible). Compare-and-set holds a lock file created with O_EXCL.
 */
export const layer = (root: string): Layer.Layer<ObjectStore, never, FileSystem.FileSystem | Path.Path> =>
  Layer.effect(
    ObjectStore,
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const pathApi = yield* Path.Path
      const base = pathApi.resolve(root)

      const locate = (path: string) =>
        Effect.suspend(() => {
          const segments = path.split("/")
          if (segments.length === 0 || !segments.every((segment) => segmentPattern.test(segment))) {
            return Effect.dieMessage(`object path ${JSON.stringify(path)} is not a safe relative key`)
          }
          const file = pathApi.join(base, ...segments)
          return Effect.succeed({ file, directory: pathApi.dirname(file), name: pathApi.basename(file) })
        })

      const writeTemp = (directory: string, name: string, body: string) =>
        Effect.gen(function* () {
          yield* fs.makeDirectory(directory, { recursive: true })
          const temp = pathApi.join(directory, `.${name}.${randomBytes(6).toString("hex")}.tmp`)
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

      const acquireLock = (lockFile: string) =>
        fs.open(lockFile, { flag: "wx" }).pipe(
          Effect.scoped,
          Effect.catchIf(
            (error) => isReason(error, "AlreadyExists"),
            () =>
              fs.stat(lockFile).pipe(
                Effect.flatMap((info) =>
                  Option.match(info.mtime, {
                    onNone: () => Effect.fail(new LockHeld()),
                    onSome: (mtime) =>
                      Date.now() - mtime.getTime() > staleLockMillis
                        ? fs
                            .remove(lockFile, { force: true })
                            .pipe(Effect.zipRight(Effect.fail(new LockHeld())))
                        : Effect.fail(new LockHeld()),
                  }),
                ),
                Effect.catchIf(
                  (error): error is PlatformError =>
                    !(error instanceof LockHeld) && isReason(error, "NotFound"),
                  () => Effect.fail(new LockHeld()),
                ),
              ),
          ),
          Effect.retry({ schedule: lockWaits, while: (error) => error instanceof LockHeld }),
        )

      const withLock = <A, E>(lockFile: string, effect: Effect.Effect<A, E>) =>
        Effect.acquireUseRelease(
          acquireLock(lockFile),
          () => effect,
          () => fs.remove(lockFile, { force: true }).pipe(Effect.ignore),
        )

      const removeQuietly = (file: string) => fs.remove(file, { force: true }).pipe(Effect.ignore)

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
              yield* fs.rename(temp, file).pipe(Effect.onError(() => removeQuietly(temp)))
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
                Effect.ensuring(removeQuietly(temp)),
              )
            }
            case "IfMatch": {
              yield* fs.makeDirectory(directory, { recursive: true })
              const lockFile = pathApi.join(directory, `.${name}.lock`)
              return yield* withLock(
                lockFile,
                Effect.gen(function* () {
                  const current = yield* read(file)
                  if (Option.isNone(current) || current.value.etag !== condition.etag) {
                    return WriteOutcome.PreconditionFailed()
                  }
                  const temp = yield* writeTemp(directory, name, body)
                  yield* fs.rename(temp, file).pipe(Effect.onError(() => removeQuietly(temp)))
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

      /** One file at a time (16 in flight): a directory has no batch delete; refusals are collected. */
      const removeMany = Effect.fn("DirectoryObjectStore.deleteMany")(function* (
        paths: ReadonlyArray<string>,
      ) {
        const outcomes = yield* Effect.forEach(
          paths,
          (path) =>
            remove(path).pipe(
              Effect.as(Option.none<DeleteFailure>()),
              Effect.catchAll((error) => Effect.succeed(Option.some({ path, error }))),
            ),
          { concurrency: 16 },
        )
        return outcomes.flatMap(Option.toArray)
      })

      /** Files below `relative` in key order, one directory read at a time. */
      const walk = (relative: string): Stream.Stream<ListedObject, StoreError> =>
        Stream.unwrap(
          fs.readDirectory(pathApi.join(base, relative)).pipe(
            Effect.catchIf(
              (error) => isReason(error, "NotFound"),
              () => Effect.succeed([] as Array<string>),
            ),
            Effect.flatMap((names) =>
              Effect.forEach(
                names.filter((name) => !name.startsWith(".")),
                (name) =>
                  fs.stat(pathApi.join(base, relative, name)).pipe(
                    Effect.map((info) => ({
                      name,
                      directory: info.type === "Directory",
                      lastModified: Option.getOrElse(
                        Option.map(info.mtime, (mtime) => mtime.getTime()),
                        () => 0,
                      ),
                    })),
                  ),
                { concurrency: 16 },
              ),
            ),
            Effect.map((children) =>
              children
                .map((child) => ({ ...child, sortKey: child.directory ? `${child.name}/` : child.name }))
                .sort((left, right) =>
                  left.sortKey < right.sortKey ? -1 : left.sortKey > right.sortKey ? 1 : 0,
                ),
            ),
            Effect.map((children) =>
              Stream.fromIterable(children).pipe(
                Stream.flatMap((child) => {
                  const childPath = relative === "" ? child.name : `${relative}/${child.name}`
                  return child.directory
                    ? walk(childPath)
                    : Stream.make({ path: childPath, lastModified: child.lastModified })
                }),
              ),
            ),
            Effect.mapError(toStoreError("list", relative)),
          ),
        )

      const list = (prefix: string) => {
        const folder = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : ""
        return walk(folder).pipe(Stream.filter((listed) => listed.path.startsWith(prefix)))
      }

      return ObjectStore.of({ get, put, delete: remove, deleteMany: removeMany, list })
    }),
  )
