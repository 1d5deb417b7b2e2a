import { randomBytes } from "node:crypto"
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import { Clock, Duration, Effect, Either, Option, Schedule, Schema } from "effect"
import {
  ageMillis,
  isReason,
  processIsGone,
  removeQuietly,
  thisHost,
  uniqueSuffix,
} from "./DirectoryFiles.js"

/** The lock stayed held by another writer for longer than the caller may wait. */
export class LockHeld {
  readonly _tag = "LockHeld"
}

/** What a lock file holds: who took it. Written before the lock is visible (temp file, then `link`). */
const LockHolder = Schema.parseJson(
  Schema.Struct({ token: Schema.String, host: Schema.String, pid: Schema.Number }),
)
const decodeLockHolder = Schema.decodeUnknownEither(LockHolder)
const encodeLockHolder = Schema.encodeSync(LockHolder)

/**
 * Polls of a lock another process holds (writers of this process queue instead): it is held for
 * milliseconds, so the first polls come quickly; jittered, so pollers spread out.
 */
const lockPolls = (within: Duration.Duration) =>
  Schedule.exponential("2 millis", 1.5).pipe(
    Schedule.union(Schedule.spaced("50 millis")),
    Schedule.jittered,
    Schedule.upTo(within),
  )

/**
 * The directory store's lock files (`.<name>.lock` beside an object), which order compare-and-set
 * writers across processes, and the queue that orders the writers of this process before them.
 * The queue is state of the store built: one per layer.
 */
export const makeDirectoryLocks = (settings: {
  /** A lock older than this was left by a writer that died (by its mtime, so against wall time). */
  readonly staleAfterMillis: number
  /** How long `withLock` waits for its turn and the lock together. */
  readonly lockWait: Duration.Duration
}) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const { staleAfterMillis, lockWait } = settings

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
        yield* removeQuietly(fs, aside)
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
        if (yield* stillHolds(lockFile, token)) yield* removeQuietly(fs, lockFile)
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

    return { inspectLock, breakStaleLock, stillHolds, withLock }
  })

/** The lock files of one directory store. */
export type DirectoryLocks = Effect.Effect.Success<ReturnType<typeof makeDirectoryLocks>>
