import { assert, describe, it } from "@effect/vitest"
import { Context, type Duration, Effect, Fiber, Layer, Option, Schema, TestClock } from "effect"
import * as ObjectDispatchLanes from "../../src/adapters/ObjectDispatchLanes.js"
import { ObjectStore, WriteCondition } from "../../src/adapters/objects/ObjectStore.js"
import { dispatchLanesPrefix, laneOf, lanePath } from "../../src/domain/DispatchLane.js"
import { runIndexPrefix } from "../../src/domain/RunIndexKey.js"
import { RepositoryName } from "../../src/domain/WorkflowRun.js"
import { DispatchLanes, type LaneClaimant, LaneSettings } from "../../src/ports/DispatchLanes.js"
import { countingObjectStore, emptyCalls } from "../support/countingObjectStore.js"
import { requestId, runId } from "../support/fixtures.js"
import { passTime as passTimeOnTestClock } from "../support/time.js"

const lane = laneOf(
  Schema.decodeSync(RepositoryName)("acme/infra"),
  ".github/workflows/destroy.yml",
  "refs/heads/main",
)

const claimant = (index: number): LaneClaimant => ({
  requestId: requestId(`req_lane_${index}`),
  kind: "destroy",
  attempt: 1,
  actor: "run-index-bot",
})

/** A second process on the same store: its own lanes layer (own queue, own cache) over the same objects. */
const anotherProcess = (objects: Context.Context<ObjectStore>) =>
  Effect.map(
    Layer.build(ObjectDispatchLanes.layer.pipe(Layer.provide(Layer.succeedContext(objects)))),
    (built) => Context.get(built, DispatchLanes),
  )

/** Moves the test clock, letting the real I/O (directory, S3) the waiters started finish after each jump. */
const passTime = (duration: Duration.DurationInput) => passTimeOnTestClock(duration, { io: "20 millis" })

const noOutcome = { runId: null, rendersRequestId: false } as const

/**
 * The behaviour every store under DispatchLanes must give it. `makeObjects` must give a fresh, empty
 * store on every build.
 */
export const dispatchLanesContract = (name: string, makeObjects: () => Layer.Layer<ObjectStore, unknown>) =>
  describe(`DispatchLanes contract: ${name}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, ObjectStore | import("effect").Scope.Scope>) =>
      Effect.scoped(Effect.provide(effect, makeObjects()))

    it.effect("of 20 processes asking for one lane at once, exactly one holds it", () =>
      run(
        Effect.gen(function* () {
          const objects = yield* Effect.context<ObjectStore>()
          const processes = yield* Effect.forEach(Array.from({ length: 20 }), () => anotherProcess(objects))
          const tries = yield* Effect.forEach(
            processes,
            (lanes, index) =>
              lanes
                .acquire(lane, claimant(index))
                .pipe(
                  Effect.timeout("1 second"),
                  Effect.option,
                  Effect.provideService(LaneSettings, { ...LaneSettings.defaultValue(), waitMillis: 0 }),
                ),
            { concurrency: "unbounded" },
          )
          const holders = tries.filter(Option.isSome)
          assert.strictEqual(holders.length, 1)
          const record = Option.getOrThrow(yield* processes[0]!.read(lane))
          assert.strictEqual(record.holder?.token, Option.getOrThrow(holders[0]!).holder.token)
        }),
      ),
    )

    it.effect("a release by anyone but the holder is refused and changes nothing", () =>
      run(
        Effect.gen(function* () {
          const objects = yield* Effect.context<ObjectStore>()
          const first = yield* anotherProcess(objects)
          const second = yield* anotherProcess(objects)
          const lease = yield* first.acquire(lane, claimant(1))
          const forged = { ...lease, holder: { ...lease.holder, token: "not-the-holder" } }
          const refused = yield* second.release(forged, noOutcome)
          assert.strictEqual(refused._tag, "NotHolder")
          assert.strictEqual(Option.getOrThrow(yield* second.read(lane)).holder?.token, lease.holder.token)
          const settled = yield* second.settle(lane, "not-the-holder", noOutcome)
          assert.strictEqual(settled._tag, "NotHolder")
          assert.strictEqual(
            (yield* first.release(lease, { runId: runId(7), rendersRequestId: true }))._tag,
            "Released",
          )
          const after = Option.getOrThrow(yield* second.read(lane))
          assert.isNull(after.holder)
          assert.deepStrictEqual(after.recent[0], {
            requestId: requestId("req_lane_1"),
            kind: "destroy",
            attempt: 1,
            runId: runId(7),
          })
          assert.isTrue(after.rendersRequestId)
        }),
      ),
    )

    it.effect("a stale hold is taken over by one process, and its old holder can no longer release it", () =>
      run(
        Effect.gen(function* () {
          const objects = yield* Effect.context<ObjectStore>()
          const crashed = yield* anotherProcess(objects)
          const lease = yield* crashed.acquire(lane, claimant(1))
          const others = yield* Effect.forEach(Array.from({ length: 5 }), () => anotherProcess(objects))
          const waiting = yield* Effect.forEach(others, (lanes, index) =>
            Effect.fork(lanes.acquire(lane, claimant(10 + index))),
          )
          const done = Effect.map(
            Effect.forEach(waiting, Fiber.poll),
            (polls) => polls.filter(Option.isSome).length,
          )
          yield* passTime("30 seconds")
          assert.strictEqual(yield* done, 0, "a live hold is not taken over")
          for (let step = 0; step < 200 && (yield* done) === 0; step++) yield* passTime("2 seconds")
          yield* passTime("10 seconds")
          assert.strictEqual(yield* done, 1)
          yield* Effect.forEach(waiting, Fiber.interrupt)
          assert.strictEqual((yield* crashed.release(lease, noOutcome))._tag, "NotHolder")
        }),
      ),
    )

    it.effect("in one process, waiters get the lane first come, first served", () =>
      run(
        Effect.gen(function* () {
          const objects = yield* Effect.context<ObjectStore>()
          const lanes = yield* anotherProcess(objects)
          const order: Array<number> = []
          const first = yield* lanes.acquire(lane, claimant(0))
          const waiters = yield* Effect.fork(
            Effect.forEach(
              [1, 2, 3, 4],
              (index) =>
                Effect.flatMap(lanes.acquire(lane, claimant(index)), (lease) =>
                  Effect.zipRight(
                    Effect.sync(() => order.push(index)),
                    lanes.release(lease, noOutcome),
                  ),
                ),
              { concurrency: "unbounded" },
            ),
          )
          yield* Effect.yieldNow()
          yield* lanes.release(first, noOutcome)
          yield* Fiber.join(waiters)
          assert.deepStrictEqual(order, [1, 2, 3, 4])
        }),
      ),
    )

    it.effect("a dispatch awaiting its run keeps the lane until its window closes or it is settled", () =>
      run(
        Effect.gen(function* () {
          const objects = yield* Effect.context<ObjectStore>()
          const lanes = yield* anotherProcess(objects)
          const other = yield* anotherProcess(objects)
          const lease = yield* lanes.acquire(lane, claimant(1))
          const now = yield* TestClock.currentTimeMillis
          yield* lanes.awaitRun(lease, { dispatchedAt: now, until: now + 60_000 })
          const next = yield* Effect.fork(other.acquire(lane, claimant(2)))
          yield* passTime("30 seconds")
          assert.isTrue(Option.isNone(yield* Fiber.poll(next)))
          assert.strictEqual(
            (yield* other.settle(lane, lease.holder.token, { runId: runId(9), rendersRequestId: false }))
              ._tag,
            "Released",
          )
          for (let step = 0; step < 20 && Option.isNone(yield* Fiber.poll(next)); step++)
            yield* passTime("1 second")
          const taken = yield* Fiber.join(next)
          assert.strictEqual(taken.holder.requestId, requestId("req_lane_2"))
          assert.deepStrictEqual(
            taken.record.recent.map((each) => each.runId),
            [runId(9)],
          )
        }),
      ),
    )

    it.effect(
      "a waiter looks less often while the lane awaits a run, and wakes when its own process settles it",
      () =>
        run(
          Effect.gen(function* () {
            const objects = yield* Effect.context<ObjectStore>()
            const holderProcess = yield* anotherProcess(objects)
            const calls = emptyCalls()
            const counted = yield* Layer.build(
              countingObjectStore(calls).pipe(Layer.provide(Layer.succeedContext(objects))),
            )
            const waiterProcess = yield* anotherProcess(counted)
            const lease = yield* holderProcess.acquire(lane, claimant(1))
            const now = yield* TestClock.currentTimeMillis
            yield* holderProcess.awaitRun(lease, { dispatchedAt: now, until: now + 600_000 })
            const next = yield* Effect.fork(waiterProcess.acquire(lane, claimant(2)))
            for (let second = 0; second < 60; second++) yield* passTime("1 second")
            assert.isTrue(Option.isNone(yield* Fiber.poll(next)))
            // 100 ms doubling to 4 s would be about 20 reads in a minute; a look every 12 s at most 6.
            assert.isAtMost(calls.gets, 7)
            yield* waiterProcess.settle(lane, lease.holder.token, noOutcome)
            // No simulated time passes: only the store calls the woken waiter makes.
            for (let step = 0; step < 100 && Option.isNone(yield* Fiber.poll(next)); step++)
              yield* passTime(0)
            const taken = yield* Fiber.poll(next)
            assert.isTrue(Option.isSome(taken), "the waiter took the lane without waiting for its next look")
            assert.strictEqual(
              yield* Fiber.join(next).pipe(Effect.map((each) => each.holder.requestId)),
              requestId("req_lane_2"),
            )
          }),
        ),
    )

    it.effect(
      "lane records live outside the index prefix, and an unreadable one is replaced, not trusted",
      () =>
        run(
          Effect.gen(function* () {
            const objects = yield* ObjectStore
            assert.isTrue(lanePath(lane).startsWith(dispatchLanesPrefix))
            assert.isFalse(lanePath(lane).startsWith(runIndexPrefix))
            yield* objects.put(lanePath(lane), "{not json", WriteCondition.Always())
            const lanes = yield* anotherProcess(yield* Effect.context<ObjectStore>())
            const lease = yield* lanes.acquire(lane, claimant(1))
            assert.strictEqual(Option.getOrThrow(yield* lanes.read(lane)).holder?.token, lease.holder.token)
          }),
        ),
    )
  })
