import { spawnSync } from "node:child_process"
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { type Context, Effect, Layer, Option } from "effect"
import * as DirectoryObjectStore from "../../src/adapters/objects/DirectoryObjectStore.js"
import { ObjectStore, WriteCondition } from "../../src/adapters/objects/ObjectStore.js"

const attempts = 50
/** 20 in the figure; fewer by default to keep the suite quick on a shared machine. */
const trials = Number(process.env.RUN_INDEX_LOCK_TRIALS ?? 3)

const temporaryRoot = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "run-index-locks-"))),
  (root) => Effect.promise(() => rm(root, { recursive: true, force: true })),
)

const storeAt = (root: string, options: DirectoryObjectStore.DirectoryStoreOptions = {}) =>
  DirectoryObjectStore.layer(root, options).pipe(Layer.provide(NodeContext.layer))

/** A pid that belonged to a process of this host and no longer does. */
const goneProcessId = () => {
  const child = spawnSync(process.execPath, ["-e", ""])
  if (child.pid === undefined) throw new Error("could not start a short-lived process")
  return child.pid
}

const lockContent = (pid: number, host = hostname()) => JSON.stringify({ token: "someone-else", host, pid })

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000)

interface Document {
  readonly version: number
  readonly runs: { readonly apply: { readonly attempts: Array<{ attempt: number; status: string }> } }
}

const freshDocument = (): Document => ({
  version: 1,
  runs: {
    apply: {
      attempts: Array.from({ length: attempts }, (_, index) => ({ attempt: index + 1, status: "queued" })),
    },
  },
})

/**
 * Marks one attempt completed with read, change, compare-and-set, re-reading until its write lands
 * (as `updateRequest` does, with a shorter backoff); a lock wait that ran out wrote nothing, and is
 * retried too.
 */
const completeAttempt = (path: string, index: number) =>
  Effect.gen(function* () {
    const objects = yield* ObjectStore
    for (let tries = 1; tries < 1_000; tries++) {
      const current = Option.getOrThrow(yield* objects.get(path))
      const document = JSON.parse(current.body) as Document
      document.runs.apply.attempts[index]!.status = "completed"
      const next = { ...document, version: document.version + 1 }
      const outcome = yield* objects
        .put(path, JSON.stringify(next), WriteCondition.IfMatch({ etag: current.etag }))
        .pipe(Effect.catchIf((error) => error.reason === "Throttled", Effect.succeed))
      if (outcome._tag === "Written") return
      yield* Effect.sleep(Math.floor(Math.random() * Math.min(20, 2 * tries)))
    }
    return yield* Effect.dieMessage(`attempt ${index + 1} never landed`)
  })

/**
 * `trials` trials of: a request document with 50 queued attempts, an older version's empty lock on it
 * left two minutes ago by a writer killed mid-write, then 50 concurrent writers each completing one
 * attempt, writer `i` through `storeOf(i)`. Returns how many attempts each trial lost.
 */
const lostUpdates = (root: string, storeOf: (writer: number) => Context.Context<ObjectStore>) =>
  Effect.gen(function* () {
    const lost: Array<number> = []
    for (let trial = 0; trial < trials; trial++) {
      const path = `requests/req_trial_${trial}.json`
      yield* Effect.gen(function* () {
        const objects = yield* ObjectStore
        yield* objects.put(path, JSON.stringify(freshDocument()), WriteCondition.Always())
      }).pipe(Effect.provide(storeOf(0)))
      const lockFile = join(root, "requests", `.req_trial_${trial}.json.lock`)
      yield* Effect.promise(() => writeFile(lockFile, ""))
      yield* Effect.promise(() => utimes(lockFile, minutesAgo(2), minutesAgo(2)))

      yield* Effect.forEach(
        Array.from({ length: attempts }, (_, index) => index),
        // Staggered over a few milliseconds, as deliveries arrive: writers meet the stale lock at
        // different moments, some while another writer is breaking it.
        (index) =>
          Effect.sleep(Math.floor(Math.random() * 8)).pipe(
            Effect.andThen(completeAttempt(path, index)),
            Effect.provide(storeOf(index)),
          ),
        { concurrency: "unbounded", discard: true },
      )
      const stored = yield* Effect.promise(() => readFile(join(root, path), "utf8"))
      const document = JSON.parse(stored) as Document
      lost.push(document.runs.apply.attempts.filter((attempt) => attempt.status !== "completed").length)
      assert.strictEqual(document.version, 1 + attempts, `trial ${trial}: every write made one version`)
    }
    const leftovers = (yield* Effect.promise(() => readdir(join(root, "requests")))).filter(
      (name) => name.endsWith(".lock") || name.endsWith(".tmp") || name.endsWith(".stale"),
    )
    assert.deepStrictEqual(leftovers, [])
    return lost
  })

/**
 * 20 rounds of: a fresh document with 50 queued attempts, an older version's empty lock left two
 * minutes ago, then 50 writers, staggered over a few milliseconds, each trying once to complete its
 * attempt from what it read. Returns, per round, how many writes were acknowledged (`Written`) but
 * are not in the document: any lost update shows here, however the writers interleaved.
 */
const acknowledgedButLost = (root: string, storeOf: (writer: number) => Context.Context<ObjectStore>) =>
  Effect.gen(function* () {
    const lost: Array<number> = []
    for (let round = 0; round < 20; round++) {
      const path = `requests/req_round_${round}.json`
      yield* Effect.gen(function* () {
        const objects = yield* ObjectStore
        yield* objects.put(path, JSON.stringify(freshDocument()), WriteCondition.Always())
      }).pipe(Effect.provide(storeOf(0)))
      const lockFile = join(root, "requests", `.req_round_${round}.json.lock`)
      yield* Effect.promise(() => writeFile(lockFile, ""))
      yield* Effect.promise(() => utimes(lockFile, minutesAgo(2), minutesAgo(2)))
      const acknowledged = yield* Effect.forEach(
        Array.from({ length: attempts }, (_, index) => index),
        (index) =>
          Effect.gen(function* () {
            yield* Effect.sleep(Math.floor(Math.random() * 8))
            const objects = yield* ObjectStore
            const current = Option.getOrThrow(yield* objects.get(path))
            const document = JSON.parse(current.body) as Document
            document.runs.apply.attempts[index]!.status = "completed"
            const outcome = yield* objects
              .put(
                path,
                JSON.stringify({ ...document, version: document.version + 1 }),
                WriteCondition.IfMatch({ etag: current.etag }),
              )
              .pipe(Effect.catchIf((error) => error.reason === "Throttled", Effect.succeed))
            return outcome._tag === "Written" ? [index] : []
          }).pipe(Effect.provide(storeOf(index))),
        { concurrency: "unbounded" },
      ).pipe(Effect.map((each) => each.flat()))
      const stored = JSON.parse(yield* Effect.promise(() => readFile(join(root, path), "utf8"))) as Document
      assert.isAbove(acknowledged.length, 0, `round ${round}: some write lands`)
      lost.push(
        acknowledged.filter((index) => stored.runs.apply.attempts[index]!.status !== "completed").length,
      )
    }
    return lost
  })

describe("directory store locks after a crash", () => {
  // Live clock in the tests below that race writers: they race real file-system I/O, and the lock
  // waits are short real waits.
  it.live(
    "a stale lock met by 50 staggered writers of 50 store instances: every acknowledged write is kept, 20 rounds",
    () =>
      Effect.gen(function* () {
        const root = yield* temporaryRoot
        const stores = yield* Effect.forEach(Array.from({ length: attempts }), () =>
          Layer.build(storeAt(root, { lockWait: "10 seconds" })),
        )
        assert.deepStrictEqual(
          yield* acknowledgedButLost(root, (writer) => stores[writer]!),
          Array(20).fill(0),
        )
      }).pipe(Effect.scoped),
  )

  it.live(
    "a stale lock met by 50 staggered writers in one process: every acknowledged write is kept, 20 rounds",
    () =>
      Effect.gen(function* () {
        const root = yield* temporaryRoot
        const store = yield* Layer.build(storeAt(root, { lockWait: "10 seconds" }))
        assert.deepStrictEqual(yield* acknowledgedButLost(root, () => store), Array(20).fill(0))
      }).pipe(Effect.scoped),
  )

  it.live("a stale lock and 50 concurrent writers in one process: no update lost, in every trial", () =>
    Effect.gen(function* () {
      const root = yield* temporaryRoot
      const store = yield* Layer.build(storeAt(root, { lockWait: "10 seconds" }))
      assert.deepStrictEqual(yield* lostUpdates(root, () => store), Array(trials).fill(0))
    }).pipe(Effect.scoped),
  )

  it.live(
    "a stale lock and 50 concurrent writers through 50 store instances (as 50 processes would): no update lost, in every trial",
    () =>
      Effect.gen(function* () {
        const root = yield* temporaryRoot
        const stores = yield* Effect.forEach(Array.from({ length: attempts }), () =>
          Layer.build(storeAt(root, { lockWait: "10 seconds" })),
        )
        assert.deepStrictEqual(yield* lostUpdates(root, (writer) => stores[writer]!), Array(trials).fill(0))
      }).pipe(Effect.scoped),
  )

  it.live("a lock whose holder's process is gone is broken at once, however fresh", () =>
    Effect.gen(function* () {
      const root = yield* temporaryRoot
      yield* Effect.gen(function* () {
        const objects = yield* ObjectStore
        const written = yield* objects.put("requests/req_a.json", "{}", WriteCondition.Always())
        assert.strictEqual(written._tag, "Written")
        const lockFile = join(root, "requests", ".req_a.json.lock")
        yield* Effect.promise(() => writeFile(lockFile, lockContent(goneProcessId())))
        const etag = written._tag === "Written" ? written.etag : ""
        const outcome = yield* objects.put("requests/req_a.json", '{"v":2}', WriteCondition.IfMatch({ etag }))
        assert.strictEqual(outcome._tag, "Written")
      }).pipe(Effect.provide(storeAt(root)))
    }).pipe(Effect.scoped),
  )

  // Live clock: the wait races real file-system polls; the lock wait is a short real one.
  it.live("a live writer's lock is waited for up to the lock wait, then Throttled, and left in place", () =>
    Effect.gen(function* () {
      const root = yield* temporaryRoot
      yield* Effect.gen(function* () {
        const objects = yield* ObjectStore
        const written = yield* objects.put("requests/req_a.json", "{}", WriteCondition.Always())
        const etag = written._tag === "Written" ? written.etag : ""
        const lockFile = join(root, "requests", ".req_a.json.lock")
        const held = lockContent(process.pid)
        yield* Effect.promise(() => writeFile(lockFile, held))
        const error = yield* Effect.flip(
          objects.put("requests/req_a.json", '{"v":2}', WriteCondition.IfMatch({ etag })),
        )
        assert.strictEqual(error.reason, "Throttled")
        assert.include(error.detail, "stayed locked")
        assert.strictEqual(yield* Effect.promise(() => readFile(lockFile, "utf8")), held)
        assert.strictEqual(Option.getOrThrow(yield* objects.get("requests/req_a.json")).body, "{}")
      }).pipe(Effect.provide(storeAt(root, { lockWait: "200 millis" })))
    }).pipe(Effect.scoped),
  )

  it.effect(
    "start-up removes stale locks and the temp files of writers that died, and keeps a live writer's",
    () =>
      Effect.gen(function* () {
        const root = yield* temporaryRoot
        const requests = join(root, "requests")
        const gone = goneProcessId()
        const hostTag = (yield* Effect.promise(() => import("node:crypto")))
          .createHash("sha256")
          .update(hostname())
          .digest("hex")
          .slice(0, 8)
        const files = {
          oldLock: ".req_a.json.lock",
          goneHolderLock: ".req_b.json.lock",
          liveLock: ".req_c.json.lock",
          oldTemp: ".req_a.json.0123456789ab.tmp",
          goneWriterTemp: `.req_b.json.${hostTag}-${gone}.0123456789ab.tmp`,
          liveWriterTemp: `.req_c.json.${hostTag}-${process.pid}.0123456789ab.tmp`,
        }
        yield* Effect.promise(async () => {
          await mkdir(requests, { recursive: true })
          await writeFile(join(requests, files.oldLock), "")
          await utimes(join(requests, files.oldLock), minutesAgo(2), minutesAgo(2))
          await writeFile(join(requests, files.goneHolderLock), lockContent(gone))
          await writeFile(join(requests, files.liveLock), lockContent(process.pid))
          await writeFile(join(requests, files.oldTemp), "{")
          await utimes(join(requests, files.oldTemp), minutesAgo(2), minutesAgo(2))
          await writeFile(join(requests, files.goneWriterTemp), "{")
          await writeFile(join(requests, files.liveWriterTemp), "{")
        })
        yield* Layer.build(storeAt(root))
        const remaining = (yield* Effect.promise(() => readdir(requests))).filter(
          (name) => name.endsWith(".lock") || name.endsWith(".tmp"),
        )
        assert.deepStrictEqual(remaining.sort(), [files.liveLock, files.liveWriterTemp].sort())
        assert.isTrue((yield* Effect.promise(() => stat(join(requests, files.liveLock)))).isFile())
      }).pipe(Effect.scoped),
  )
})
