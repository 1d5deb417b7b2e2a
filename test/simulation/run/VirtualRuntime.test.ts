import { setTimeout as realSleep } from "node:timers/promises"
import { assert, describe, it } from "@effect/vitest"
import { Clock, type Duration, Effect, Exit, Fiber, Random, Schedule } from "effect"
import { runVirtual } from "../../../src/simulation/run/VirtualRuntime.js"

const start = Date.UTC(2026, 0, 1)

const succeeded = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  return assert.fail(`the program failed: ${exit.cause.toString()}`)
}

describe("virtual runtime", () => {
  it("sleepers wake in due order at their own instant, and a day passes without waiting for it", async () => {
    const began = performance.now()
    const exit = await runVirtual(start, () =>
      Effect.gen(function* () {
        const woke: Array<string> = []
        const sleeper = (name: string, duration: Duration.DurationInput) =>
          Effect.fork(
            Effect.zipRight(
              Effect.sleep(duration),
              Effect.flatMap(Clock.currentTimeMillis, (now) =>
                Effect.sync(() => woke.push(`${name}@${now - start}`)),
              ),
            ),
          )
        const fibers = [
          yield* sleeper("c", "3 seconds"),
          yield* sleeper("a", "1 second"),
          yield* sleeper("b", "2 seconds"),
        ]
        yield* Fiber.joinAll(fibers)
        yield* Effect.sleep("1 day")
        return { woke, now: (yield* Clock.currentTimeMillis) - start }
      }),
    )
    assert.deepStrictEqual(succeeded(exit), { woke: ["a@1000", "b@2000", "c@3000"], now: 3000 + 86_400_000 })
    assert.isBelow(performance.now() - began, 5_000)
  })

  it("retries, timeouts and jittered schedules run on virtual time and replay identically", async () => {
    const program = () =>
      Effect.gen(function* () {
        let tries = 0
        const retried = yield* Effect.either(
          Effect.retry(
            Effect.suspend(() => Effect.fail(++tries)),
            Schedule.exponential("1 second").pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(5))),
          ),
        )
        const timedOut = yield* Effect.timeout(Effect.never, "1 hour").pipe(Effect.either)
        return {
          tries,
          failed: retried._tag,
          timedOut: timedOut._tag,
          at: (yield* Clock.currentTimeMillis) - start,
        }
      }).pipe(Effect.withRandom(Random.make(7)))
    const first = succeeded(await runVirtual(start, program))
    assert.deepInclude(first, { tries: 6, failed: "Left", timedOut: "Left" })
    assert.isAbove(first.at, 3_600_000)
    assert.deepStrictEqual(succeeded(await runVirtual(start, program)), first)
  })

  it("virtual time stands still while real I/O is in flight", async () => {
    const exit = await runVirtual(start, (runtime) =>
      Effect.gen(function* () {
        const io = yield* Effect.fork(
          runtime.external(Effect.promise(() => realSleep(50).then(() => runtime.now()))),
        )
        const timer = yield* Effect.fork(Effect.as(Effect.sleep("1 millis"), "timer"))
        const finishedAt = yield* Fiber.join(io)
        yield* Fiber.join(timer)
        return finishedAt - start
      }),
    )
    assert.strictEqual(succeeded(exit), 0)
  })
})
