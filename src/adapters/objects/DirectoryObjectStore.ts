import { createHash, randomBytes } from "node:crypto"
import { opendir, readdir } from "node:fs/promises"
import { hostname } from "node:os"
import { join } from "node:path"
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import {
  Array as Arr,
  Chunk,
  Clock,
  Duration,
  Effect,
  Either,
  Layer,
  Option,
  Schedule,
  Schema,
  Stream,
} from "effect"
import { type DeleteFailure, StoreError } from "../../ports/StoreError.js"
import {
  type DeleteTarget,
  type ListedObject,
  ObjectStore,
  type Paging,
  pagingOf,
  WriteOutcome,
} from "./ObjectStore.js"

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

const etagOf = (body: string) => `"${createHash("md5").update(body).digest("hex")}"`

/**
 * A file's version for conditional deletes, from what `stat` says: every write renames a new file
 * into place, so a rewrite changes the inode (and mtime); no body needs reading.
 */
const versionOf = (info: FileSystem.File.Info) =>
  `${Option.getOrElse(info.ino, () => 0)}-${Option.match(info.mtime, { onNone: () => 0, onSome: (mtime) => mtime.getTime() })}-${info.size}`

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

/** What a lock file holds: who took it. Written before the lock is visible (temp file, then `link`). */
const LockHolder = Schema.parseJson(
  Schema.Struct({ token: Schema.String, host: Schema.String, pid: Schema.Number }),
)
const decodeLockHolder = Schema.decodeUnknownEither(LockHolder)
const encodeLockHolder = Schema.encodeSync(LockHolder)

const thisHost = hostname()
/** Names this host and process in temp-file names, so start-up can tell a dead writer's leftovers. */
const hostTag = createHash("sha256").update(thisHost).digest("hex").slice(0, 8)
const writerTag = `${hostTag}-${process.pid}`
const writerTagPattern = /\.([0-9a-f]{8})-([0-9]{1,10})\.[0-9a-f]+\.tmp$/

/** Every file or directory whose name starts with "." below `directory`, read a few entries at a time. */
async function* dotFilesBelow(directory: string): AsyncGenerator<string> {
  for await (const entry of await opendir(directory)) {
    const path = join(directory, entry.name)
    if (entry.name.startsWith(".")) yield path
    if (entry.isDirectory()) yield* dotFilesBelow(path)
  }
}

const processIsGone = (pid: number): boolean => {
  if (pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    // EPERM: it exists, and belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "ESRCH"
  }
}

/**
 * Objects as files below `root`, with the same key layout as the bucket. Writes go to a temp file
 * first, then `rename` (replace) or `link` (create only if absent: atomic across processes, and the
 * file is complete the moment it is visible). Compare-and-set holds a lock file, see `acquireLock`.
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
      /**
       * Polls of a lock another process holds (writers of this process queue instead): it is held
       * for milliseconds, so the first polls come quickly; jittered, so pollers spread out.
       */
      const lockPolls = (within: Duration.Duration) =>
        Schedule.exponential("2 millis", 1.5).pipe(
          Schedule.union(Schedule.spaced("50 millis")),
          Schedule.jittered,
          Schedule.upTo(within),
        )

      const locate = (path: string) =>
        Effect.suspend(() => {
          const segments = path.split("/")
          if (segments.length === 0 || !segments.every((segment) => segmentPattern.test(segment))) {
            return Effect.dieMessage(`object path ${JSON.stringify(path)} is not a safe relative key`)
          }
          const file = pathApi.join(base, ...segments)
          return Effect.succeed({ file, directory: pathApi.dirname(file), name: pathApi.basename(file) })
        })

      const removeQuietly = (file: string) => fs.remove(file, { force: true }).pipe(Effect.ignore)

      const uniqueSuffix = () => randomBytes(6).toString("hex")

      const writeTemp = (directory: string, name: string, body: string, directoryExists = false) =>
        Effect.gen(function* () {
          if (!directoryExists) yield* fs.makeDirectory(directory, { recursive: true })
          const temp = pathApi.join(directory, `.${name}.${writerTag}.${uniqueSuffix()}.tmp`)
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

      const ageMillis = (info: FileSystem.File.Info) =>
        Option.match(info.mtime, { onNone: () => 0, onSome: (mtime) => Date.now() - mtime.getTime() })

      /**
       * Who holds a lock file and whether it is stale; `None` when there is no lock file. `identity`
       * tells this lock from any later one at the same path: the holder's token, or for a lock
       * without one (an earlier version's empty file) its inode and mtime.
       */
      const inspectLock = (lockFile: string) =>
        Effect.gen(function* () {
          const info = yield* fs.stat(lockFile)
          const body = yield* fs.readFileString(lockFile)
          const holder = Either.getRight(decodeLockHolder(body))
          const identity = Option.match(holder, {
            onSome: ({ token }) => token,
            onNone: () =>
              `legacy-${Option.getOrElse(info.ino, () => 0)}-${Option.match(info.mtime, { onNone: () => 0, onSome: (mtime) => mtime.getTime() })}`,
          })
          const stale =
            ageMillis(info) > staleAfterMillis ||
            Option.exists(holder, ({ host, pid }) => host === thisHost && processIsGone(pid))
          return Option.some({ identity, stale })
        }).pipe(
          Effect.catchIf(
            (error) => isReason(error, "NotFound"),
            () => Effect.succeedNone,
          ),
        )

      /**
       * Removes a stale lock, unless someone else already did or is doing it. The stale-then-remove
       * race (two fibers judge the same lock stale; the first removes it and takes a fresh lock; the
       * second removes the fresh one) is closed in two steps: only the fiber that creates the marker
       * `<lock>.<identity>.break` (O_EXCL) may break that lock; and it does not remove the path, it
       * renames it aside and checks it moved the lock it judged — a lock released and retaken in
       * between is put back. Markers stay until they are stale, so a late breaker of the same lock
       * finds the marker taken.
       *
       * Not `proper-lockfile`: it judges staleness the same way (mtime) but breaks a stale lock by
       * removing the path, which has exactly this race, and it needs a timer refreshing every lock.
       */
      const breakStaleLock = (lockFile: string, identity: string) =>
        Effect.gen(function* () {
          const marker = `${lockFile}.${identity.replace(/[^A-Za-z0-9_-]/g, "_")}.break`
          const won = yield* fs.open(marker, { flag: "wx" }).pipe(
            Effect.scoped,
            Effect.as(true),
            Effect.catchIf(
              (error) => isReason(error, "AlreadyExists"),
              () => Effect.succeed(false),
            ),
          )
          if (!won) return
          const aside = `${lockFile}.${uniqueSuffix()}.stale`
          const moved = yield* fs.rename(lockFile, aside).pipe(
            Effect.as(true),
            Effect.catchIf(
              (error) => isReason(error, "NotFound"),
              () => Effect.succeed(false),
            ),
          )
          if (!moved) return
          const movedIdentity = yield* inspectLock(aside)
          if (Option.exists(movedIdentity, (each) => each.identity !== identity)) {
            yield* fs.link(aside, lockFile).pipe(
              Effect.catchIf(
                (error) => isReason(error, "AlreadyExists"),
                () => Effect.logWarning("directory store: a lock retaken while a stale one was broken"),
              ),
            )
          }
          yield* removeQuietly(aside)
        })

      /**
       * Takes the lock `lockFile` for this call, waiting at most `within`; returns the token that
       * proves ownership. The lock file is created with O_EXCL and holds the token and the holder's
       * host and process; until that is written (microseconds) it reads as a lock without a holder,
       * which is judged stale by age only.
       */
      const acquireLock = (lockFile: string, within: Duration.Duration) => {
        const token = randomBytes(16).toString("hex")
        const content = encodeLockHolder({ token, host: thisHost, pid: process.pid })
        const attempt = Effect.gen(function* () {
          const taken = yield* fs.writeFileString(lockFile, content, { flag: "wx" }).pipe(
            Effect.as(true),
            Effect.catchIf(
              (error) => isReason(error, "AlreadyExists"),
              () => Effect.succeed(false),
            ),
          )
          if (taken) return token
          const holder = yield* inspectLock(lockFile)
          if (Option.isSome(holder) && holder.value.stale)
            yield* breakStaleLock(lockFile, holder.value.identity)
          return yield* Effect.fail(new LockHeld())
        })
        return Effect.retry(attempt, {
          schedule: lockPolls(within),
          while: (error) => error instanceof LockHeld,
        })
      }

      /** Whether `lockFile` still holds `token`: checked again just before the write it guards. */
      const stillHolds = (lockFile: string, token: string) =>
        fs.readFileString(lockFile).pipe(
          Effect.map((body) =>
            Either.match(decodeLockHolder(body), {
              onLeft: () => false,
              onRight: (holder) => holder.token === token,
            }),
          ),
          Effect.orElseSucceed(() => false),
        )

      /** Only the owner releases: a lock broken while we were slow may be someone else's by now. */
      const releaseLock = (lockFile: string, token: string) =>
        Effect.gen(function* () {
          if (yield* stillHolds(lockFile, token)) yield* removeQuietly(lockFile)
        })

      /**
       * Writers of one path in this process queue here before they take its lock file, so they wait
       * for each other without polling; the file lock orders them with other processes.
       */
      const writersHere = new Map<string, { readonly turn: Effect.Semaphore; waiting: number }>()
      const joinQueue = (lockFile: string) =>
        Effect.sync(() => {
          const entry = writersHere.get(lockFile) ?? { turn: Effect.unsafeMakeSemaphore(1), waiting: 0 }
          writersHere.set(lockFile, entry)
          entry.waiting += 1
          return entry
        })
      const leaveQueue = (lockFile: string, entry: { waiting: number }) =>
        Effect.sync(() => {
          entry.waiting -= 1
          if (entry.waiting === 0) writersHere.delete(lockFile)
        })

      /**
       * Runs `use` holding `lockFile`: first this process's turn for the path, then the lock file;
       * both waits together last at most `lockWait` (then `LockHeld`). `use` itself is not timed.
       * `settled` runs when this process's turn comes: an answer there needs no lock file (a writer
       * that queued behind another writer of this process learns it lost in one read).
       */
      const withLock = <A, E, R>(
        lockFile: string,
        settled: Effect.Effect<Option.Option<A>, E, R>,
        use: (token: string) => Effect.Effect<A, E, R>,
      ): Effect.Effect<A, E | LockHeld | PlatformError, R> =>
        Effect.acquireUseRelease(
          joinQueue(lockFile),
          (entry) =>
            Effect.uninterruptibleMask((restore) =>
              Effect.gen(function* () {
                const started = yield* Clock.currentTimeMillis
                // Alone on this path in this process: the turn is free, no timer needed.
                const ourTurn =
                  entry.waiting === 1
                    ? Option.some(yield* entry.turn.take(1))
                    : yield* restore(Effect.timeoutOption(entry.turn.take(1), lockWait))
                if (Option.isNone(ourTurn)) return yield* Effect.fail(new LockHeld())
                const inTurn = Effect.gen(function* () {
                  const answer = yield* restore(settled)
                  if (Option.isSome(answer)) return answer.value
                  const elapsed = (yield* Clock.currentTimeMillis) - started
                  const remaining = Duration.millis(Math.max(0, Duration.toMillis(lockWait) - elapsed))
                  return yield* Effect.acquireUseRelease(
                    acquireLock(lockFile, remaining),
                    (token) => restore(use(token)),
                    (token) => releaseLock(lockFile, token),
                  )
                })
                return yield* inTurn.pipe(Effect.ensuring(entry.turn.release(1)))
              }),
            ),
          (entry) => leaveQueue(lockFile, entry),
        )

      /** A temp file of a writer on this host whose process is gone: left by a crash, whatever its age. */
      const leftByGoneWriter = (name: string) => {
        const tag = writerTagPattern.exec(name)
        return tag !== null && tag[1] === hostTag && processIsGone(Number(tag[2]))
      }

      /**
       * What writers that died left below the root: stale locks (broken as any writer would break
       * them), and temp files, takeover markers and locks set aside that are stale or whose writer's
       * process is gone. Fresh ones may belong to another process working on the same directory.
       */
      const removeLeftovers = Effect.gen(function* () {
        let removed = 0
        // Streamed one directory entry at a time (`opendir`): a store of a million entries must not
        // hold a million paths to find a few dot-files (a recursive read did: ~300 MB of RSS).
        const dotFiles = yield* Stream.runCollect(
          Stream.fromAsyncIterable(dotFilesBelow(base), (cause) => cause as NodeJS.ErrnoException),
        ).pipe(
          Effect.catchIf(
            (error) => error.code === "ENOENT",
            () => Effect.succeed(Chunk.empty<string>()),
          ),
        )
        for (const file of dotFiles) {
          const name = pathApi.basename(file)
          if (name.endsWith(".lock")) {
            const holder = yield* inspectLock(file).pipe(Effect.orElseSucceed(() => Option.none()))
            if (Option.isSome(holder) && holder.value.stale) {
              yield* breakStaleLock(file, holder.value.identity).pipe(Effect.ignore)
              removed += 1
            }
          } else if (name.endsWith(".tmp") || name.endsWith(".break") || name.endsWith(".stale")) {
            const info = yield* Effect.option(fs.stat(file))
            if (Option.isNone(info)) continue
            if (ageMillis(info.value) > staleAfterMillis || leftByGoneWriter(name)) {
              yield* removeQuietly(file)
              removed += 1
            }
          }
        }
        if (removed > 0)
          yield* Effect.logInfo("directory store: removed files left by writers that died").pipe(
            Effect.annotateLogs({ removed }),
          )
      }).pipe(
        Effect.catchAll((error) =>
          Effect.logWarning("directory store: could not look for files left by writers that died").pipe(
            Effect.annotateLogs({ reason: error.message }),
          ),
        ),
      )
      yield* removeLeftovers

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
              return yield* withLock(lockFile, changed, (token) =>
                Effect.gen(function* () {
                  const late = yield* changed
                  if (Option.isSome(late)) return late.value
                  const temp = yield* writeTemp(directory, name, body, true)
                  if (!(yield* stillHolds(lockFile, token))) {
                    yield* removeQuietly(temp)
                    return yield* new StoreError({
                      reason: "Throttled",
                      operation: "put",
                      detail: `${path}: lost its lock to another writer before writing`,
                    })
                  }
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

      /**
       * Removes `path` only if it is still `version`. A directory has no conditional unlink, so the
       * file is first renamed aside (atomic): what was moved is then judged, and put back if it
       * changed since it was listed — unless a newer write took the path meanwhile, which wins.
       * Only a changed file is ever missing from its path, for the moment it is aside.
       */
      const removeIfUnchanged = (path: string, version: string) =>
        Effect.gen(function* () {
          const { file, directory, name } = yield* locate(path)
          const aside = pathApi.join(directory, `.${name}.${writerTag}.${uniqueSuffix()}.tmp`)
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
            Effect.ensuring(removeQuietly(aside)),
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

      /** A file's listing facts, or `None` when it is gone, unreadable or a link to a directory. */
      const statFile = (relative: string, name: string) =>
        fs.stat(pathApi.join(base, relative, name)).pipe(
          Effect.map((info) =>
            // A link to a directory is not followed: it could lead back up, and keys are real files
            // in real directories (those the directory read named as directories).
            info.type === "Directory"
              ? Option.none<ListedObject>()
              : Option.some({
                  path: relative === "" ? name : `${relative}/${name}`,
                  lastModified: Option.getOrElse(
                    Option.map(info.mtime, (mtime) => mtime.getTime()),
                    () => 0,
                  ),
                  version: versionOf(info),
                }),
          ),
          // One entry that cannot be read (a symlink loop, a dangling link, removed since the
          // directory was read) is left out, not the failure of the whole listing.
          Effect.catchAll((error) =>
            isReason(error, "NotFound")
              ? Effect.succeedNone
              : Effect.as(
                  Effect.logWarning("directory store: an entry that cannot be read is left out").pipe(
                    Effect.annotateLogs({
                      entry: relative === "" ? name : `${relative}/${name}`,
                      reason: error.message,
                    }),
                  ),
                  Option.none(),
                ),
          ),
        )

      /**
       * The names in `relative` in key order (a directory sorts as `name/`, as its keys do in a
       * bucket), and which are directories. `@effect/platform` reads names only; the types come
       * from `readdir` with file types, so files need no `stat` until their page is listed.
       */
      const readFolder = (relative: string) =>
        Effect.tryPromise({
          try: () => readdir(pathApi.join(base, relative), { withFileTypes: true }),
          catch: (cause) => cause as NodeJS.ErrnoException,
        }).pipe(
          Effect.map((entries) => {
            const directories = new Set<string>()
            const names: Array<string> = []
            for (const each of entries) {
              if (each.name.startsWith(".")) continue
              names.push(each.name)
              if (each.isDirectory()) directories.add(each.name)
            }
            const sortKey = (name: string) => (directories.has(name) ? `${name}/` : name)
            names.sort((left, right) => {
              const [a, b] = [sortKey(left), sortKey(right)]
              return a < b ? -1 : a > b ? 1 : 0
            })
            return { names, directories }
          }),
          Effect.catchIf(
            (error) => error.code === "ENOENT",
            () => Effect.succeed({ names: [] as Array<string>, directories: new Set<string>() }),
          ),
          Effect.mapError(
            (cause) =>
              new StoreError({
                reason: cause.code === "EACCES" || cause.code === "EPERM" ? "AccessDenied" : "Unavailable",
                operation: "list",
                detail: `${relative}: ${cause.message}`,
                cause,
              }),
          ),
        )

      /**
       * Files below `relative` in key order: one folder's names at a time, files stat'ed a page at a
       * time as the stream reaches them, so a folder of 200,000 entries holds their names, not their facts.
       */
      const walk = (relative: string): Stream.Stream<ListedObject, StoreError> =>
        Stream.unwrap(
          Effect.map(readFolder(relative), ({ names, directories }) => {
            const segments: Array<{ readonly directory: string } | { readonly files: Array<string> }> = []
            let files: Array<string> = []
            for (const name of names) {
              if (directories.has(name)) {
                if (files.length > 0) segments.push({ files })
                files = []
                segments.push({ directory: name })
              } else {
                files.push(name)
                if (files.length === pageSize) {
                  segments.push({ files })
                  files = []
                }
              }
            }
            if (files.length > 0) segments.push({ files })
            return Stream.fromIterable(segments).pipe(
              Stream.flatMap((segment) =>
                "directory" in segment
                  ? walk(relative === "" ? segment.directory : `${relative}/${segment.directory}`)
                  : Stream.fromIterableEffect(
                      Effect.map(
                        Effect.forEach(segment.files, (name) => statFile(relative, name), {
                          concurrency: 16,
                        }),
                        (listed) => listed.flatMap(Option.toArray),
                      ),
                    ),
              ),
            )
          }),
        )

      const list = (prefix: string) => {
        const folder = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : ""
        return walk(folder).pipe(
          Stream.filter((listed) => listed.path.startsWith(prefix)),
          Stream.rechunk(pageSize),
        )
      }

      return ObjectStore.of({ get, put, delete: remove, deleteMany: removeMany, list })
    }),
  )
