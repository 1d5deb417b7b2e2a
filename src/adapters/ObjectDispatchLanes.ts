import {
  Clock,
  Data,
  Deferred,
  Duration,
  Effect,
  Either,
  FiberId,
  Layer,
  Option,
  Random,
  Schedule,
} from "effect"
import {
  decodeLaneRecord,
  emptyLaneRecord,
  encodeLaneRecord,
  isHeld,
  type Lane,
  type LaneHolder,
  type LaneRecord,
  lanePath,
  released,
  withHolder,
} from "../domain/DispatchLane.js"
import type { RunId } from "../domain/RunId.js"
import {
  DispatchLanes,
  LaneBusy,
  type LaneClaimant,
  type LaneLease,
  LaneRelease,
  LaneSettings,
} from "../ports/DispatchLanes.js"
import { StoreError } from "../ports/StoreError.js"
import { ObjectStore, WriteCondition } from "./objects/ObjectStore.js"

/**
 * Waits between looks at a lane another process holds: 100 ms doubling to 4 s, jittered, while its
 * holder dispatches; at least `awaitingLook` while it awaits a late run, which only a webhook or the
 * end of the lane window (minutes) ends.
 */
const awaitingLook = Duration.seconds(12)
const heldElsewhere = Schedule.exponential("100 millis").pipe(
  Schedule.union(Schedule.spaced("4 seconds")),
  Schedule.jittered,
  Schedule.zipRight(Schedule.identity<{ readonly _tag: string; readonly holder?: LaneHolder | null }>()),
  Schedule.modifyDelay((held, delay) =>
    held.holder?.awaiting === true ? Duration.max(delay, awaitingLook) : delay,
  ),
)

/** Compare-and-set writes of one record that may lose to a concurrent writer before giving up. */
const writeRaces = 8

class Held extends Data.TaggedError("Held")<{ readonly holder: LaneHolder | null }> {}

interface Known {
  readonly etag: string
  readonly record: LaneRecord
}

/**
 * Dispatch lanes over any object store (S3, a directory, memory): a lane is one small JSON object,
 * taken with a create-if-absent or compare-and-set write. In-process waiters queue in memory, first
 * come first served; the version this process last saw of each lane is kept, so taking a lane this
 * process released costs one write.
 */
export const layer: Layer.Layer<DispatchLanes, never, ObjectStore> = Layer.effect(
  DispatchLanes,
  Effect.gen(function* () {
    const objects = yield* ObjectStore
    /** Per lane path, the turn of this process's last caller in line: the next one waits for it. */
    const lastInLine = new Map<string, Deferred.Deferred<void>>()
    /** Per hold token, how to hand this process's turn to the next caller. */
    const turns = new Map<string, Effect.Effect<void>>()
    /** Per lane path, the version this process last read or wrote. */
    const known = new Map<string, Known>()
    /** Per lane path, completed when this process frees the lane (a release, a settle), waking its waiter. */
    const changes = new Map<string, Deferred.Deferred<void>>()

    const changeOf = (path: string) => {
      const existing = changes.get(path)
      if (existing !== undefined) return existing
      const created = Deferred.unsafeMake<void>(FiberId.none)
      changes.set(path, created)
      return created
    }

    const freed = (path: string) =>
      Effect.suspend(() => {
        const change = changes.get(path)
        changes.delete(path)
        return change === undefined ? Effect.void : Deferred.succeed(change, undefined)
      })

    const read = (path: string) =>
      Effect.gen(function* () {
        const stored = yield* objects.get(path)
        if (Option.isNone(stored)) {
          known.delete(path)
          return Option.none<Known>()
        }
        // An unreadable record (a hand edit, a partial write by something else) is treated as a free
        // lane at that version: it is replaced by the next write, never trusted.
        const record = Either.getOrElse(decodeLaneRecord(stored.value.body), () => emptyLaneRecord)
        const version = { etag: stored.value.etag, record }
        known.set(path, version)
        return Option.some(version)
      })

    /** Writes `record` over `version` (or where nothing is); `false` when another writer got there first. */
    const write = (path: string, version: Known | undefined, record: LaneRecord) =>
      Effect.map(
        objects.put(
          path,
          encodeLaneRecord(record),
          version === undefined ? WriteCondition.IfAbsent() : WriteCondition.IfMatch({ etag: version.etag }),
        ),
        (outcome) => {
          if (outcome._tag === "PreconditionFailed") {
            known.delete(path)
            return false
          }
          known.set(path, { etag: outcome.etag, record })
          return true
        },
      )

    /** One try at the lane: the version known here first (one write), then what the store holds. */
    const tryTake = (path: string, holder: LaneHolder) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const cached = known.get(path)
        if (cached === undefined || !isHeld(cached.record, now)) {
          const base = cached?.record ?? emptyLaneRecord
          if (yield* write(path, cached, withHolder(base, holder))) return withHolder(base, holder)
        }
        const current = yield* read(path)
        if (Option.isSome(current) && isHeld(current.value.record, now)) {
          return yield* new Held({ holder: current.value.record.holder })
        }
        const base = Option.match(current, { onNone: () => emptyLaneRecord, onSome: (each) => each.record })
        if (yield* write(path, Option.getOrUndefined(current), withHolder(base, holder))) {
          return withHolder(base, holder)
        }
        // Another process took it between the read and the write.
        return yield* new Held({ holder: null })
      })

    /** Waits for this process's earlier callers on the lane; returns how to pass the turn on. */
    const waitTurn = (path: string) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          const mine = yield* Deferred.make<void>()
          const before = lastInLine.get(path)
          lastInLine.set(path, mine)
          const passOn = Effect.suspend(() => {
            if (lastInLine.get(path) === mine) lastInLine.delete(path)
            return Deferred.succeed(mine, undefined)
          })
          if (before !== undefined) {
            // Interrupted while waiting: the turn still passes on, once the one before is done.
            yield* restore(Deferred.await(before)).pipe(
              Effect.onInterrupt(() => Effect.forkDaemon(Effect.zipRight(Deferred.await(before), passOn))),
            )
          }
          return Effect.asVoid(passOn)
        }),
      )

    const passTurn = (token: string) =>
      Effect.suspend(() => {
        const passOn = turns.get(token)
        turns.delete(token)
        return passOn ?? Effect.void
      })

    const acquire = Effect.fn("DispatchLanes.acquire")(function* (lane: Lane, claimant: LaneClaimant) {
      const settings = yield* LaneSettings
      const path = lanePath(lane)
      const started = yield* Clock.currentTimeMillis
      const passOn = yield* waitTurn(path)
      const takeOnce = Effect.gen(function* () {
        const now = Math.floor(yield* Clock.currentTimeMillis)
        const holder: LaneHolder = {
          token: (yield* Random.nextIntBetween(0, 2 ** 30)).toString(36) + now.toString(36),
          ...claimant,
          acquiredAt: now,
          expiresAt: now + settings.holdMillis,
          awaiting: false,
        }
        const record = yield* tryTake(path, holder)
        return { lane, holder, record } satisfies LaneLease
      })
      const looks = yield* Schedule.driver(Schedule.upTo(heldElsewhere, settings.waitMillis))
      const taken = yield* Effect.gen(function* () {
        while (true) {
          const attempt = yield* Effect.either(takeOnce)
          if (Either.isRight(attempt)) return attempt.right
          if (attempt.left._tag !== "Held") return yield* attempt.left
          // The next look comes on schedule, or at once when this process frees the lane.
          const lookAgain = yield* Effect.raceFirst(
            Effect.option(looks.next(attempt.left)),
            Effect.as(Deferred.await(changeOf(path)), Option.some(undefined)),
          )
          if (Option.isNone(lookAgain)) {
            const now = yield* Clock.currentTimeMillis
            return yield* new LaneBusy({ lane, waitedMillis: now - started, holder: attempt.left.holder })
          }
        }
      }).pipe(Effect.onExit((exit) => (exit._tag === "Failure" ? passOn : Effect.void)))
      turns.set(taken.holder.token, passOn)
      return taken
    })

    /**
     * Rewrites the record while it is held with `token`: the known version first, re-reading after a
     * lost race. `NotHolder` (nothing written) once the lane is held otherwise.
     */
    const rewriteHeld = (
      path: string,
      token: string,
      change: (record: LaneRecord, holder: LaneHolder) => LaneRecord,
    ) =>
      Effect.gen(function* () {
        for (let race = 0; race < writeRaces; race++) {
          const cached = known.get(path)
          const version =
            cached !== undefined && cached.record.holder?.token === token
              ? cached
              : Option.getOrUndefined(yield* read(path))
          const holder = version?.record.holder ?? null
          if (version === undefined || holder === null || holder.token !== token) {
            return { result: LaneRelease.NotHolder({ holder }), record: version?.record }
          }
          const next = change(version.record, holder)
          if (yield* write(path, version, next)) return { result: LaneRelease.Released(), record: next }
        }
        return yield* new StoreError({
          reason: "Conflict",
          operation: "lane",
          detail: `${path} kept changing under ${writeRaces} compare-and-set writes`,
        })
      })

    const end = (
      path: string,
      token: string,
      outcome: { readonly runId: RunId | null; readonly rendersRequestId: boolean },
    ) =>
      Effect.map(
        rewriteHeld(path, token, (record, holder) => released(record, holder, outcome)),
        ({ result }) => result,
      ).pipe(Effect.tap((result) => (result._tag === "Released" ? freed(path) : Effect.void)))

    return DispatchLanes.of({
      acquire,
      renew: Effect.fn("DispatchLanes.renew")(function* (lease: LaneLease, until: number) {
        const path = lanePath(lease.lane)
        const { result, record } = yield* rewriteHeld(path, lease.holder.token, (current, holder) =>
          withHolder(current, { ...holder, expiresAt: Math.floor(until) }),
        )
        if (result._tag === "NotHolder" || record === undefined || record.holder === null) {
          return Option.none<LaneLease>()
        }
        return Option.some({ lane: lease.lane, holder: record.holder, record })
      }),
      awaitRun: Effect.fn("DispatchLanes.awaitRun")(function* (lease: LaneLease, wait) {
        const path = lanePath(lease.lane)
        const { result } = yield* rewriteHeld(path, lease.holder.token, (record, holder) =>
          withHolder(record, {
            ...holder,
            awaiting: true,
            dispatchedAt: Math.floor(wait.dispatchedAt),
            expiresAt: Math.floor(wait.until),
          }),
        ).pipe(Effect.ensuring(passTurn(lease.holder.token)))
        return result
      }),
      release: Effect.fn("DispatchLanes.release")(function* (lease: LaneLease, outcome) {
        return yield* end(lanePath(lease.lane), lease.holder.token, outcome).pipe(
          Effect.ensuring(passTurn(lease.holder.token)),
        )
      }),
      read: Effect.fn("DispatchLanes.read")(function* (lane: Lane) {
        return Option.map(yield* read(lanePath(lane)), (version) => version.record)
      }),
      settle: Effect.fn("DispatchLanes.settle")(function* (lane: Lane, token: string, outcome) {
        return yield* end(lanePath(lane), token, outcome)
      }),
    })
  }),
)
