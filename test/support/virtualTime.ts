import { Chunk, Effect, Fiber, Option, TestClock } from "effect"

const nextEventLoopTurn = Effect.async<void>((resume) => {
  const turn = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(turn))
})

/**
 * Runs `effect` on the test clock: whenever it waits on the clock (a retry's backoff, a lock wait),
 * virtual time jumps to the end of the wait; meanwhile its real socket and file-system I/O runs as usual.
 */
export const withVirtualTime = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(effect)
    while (Option.isNone(yield* Fiber.poll(fiber))) {
      const deadlines = yield* TestClock.sleeps()
      if (Chunk.isNonEmpty(deadlines)) yield* TestClock.setTime(Math.min(...deadlines))
      else yield* nextEventLoopTurn
    }
    return yield* Fiber.join(fiber)
  })
