import { Chunk, Duration, Effect, Fiber, Option, TestClock } from "effect"

/**
 * Moving the test clock, one way for every test. Time jumps from deadline to deadline — the sleeps
 * the fibers under test have scheduled (`TestClock.sleeps`) — instead of stepping by a fixed amount:
 * a step of 100 ms over two minutes is 1,200 clock moves, each several timer turns, where the
 * deadlines in between are a handful. After each jump the woken fibers run until they wait again;
 * with real I/O under the fibers (a directory, moto, a local server) give it `io`, the real time it
 * needs to answer before the next jump.
 */
export interface TimeOptions {
  /** Real time to let I/O finish after each jump of the clock; none when everything is in memory. */
  readonly io?: Duration.DurationInput
}

const nextEventLoopTurn = Effect.async<void>((resume) => {
  const turn = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(turn))
})

/**
 * After a jump: in memory, one event-loop turn lets the woken fibers run until they wait again. With
 * `io`, turns go on until as many sleeps are pending as before the jump (the woken fibers are back
 * asleep after their I/O), or `io` of real time has passed (some did not go back to sleep).
 */
const settle = (sleepsBefore: number, options: TimeOptions) =>
  Effect.gen(function* () {
    yield* nextEventLoopTurn
    if (options.io === undefined) return
    const deadline = Date.now() + Duration.toMillis(options.io)
    while (Date.now() < deadline && (yield* TestClock.sleeps()).length < sleepsBefore)
      yield* nextEventLoopTurn
  })

/** Moves the clock to `instant`, firing the sleeps due by then, and lets the woken fibers run. */
const jumpTo = (instant: number, options: TimeOptions) =>
  Effect.gen(function* () {
    const sleepsBefore = (yield* TestClock.sleeps()).length
    yield* TestClock.setTime(instant)
    yield* settle(sleepsBefore, options)
  })

/** Jumps and idle turns a helper takes before it fails the test instead of spinning on. */
const turnLimit = 200_000
const tooManyTurns = (what: string) =>
  Effect.dieMessage(`${what}: still waiting after ${turnLimit} clock jumps and event-loop turns`)

const earliestSleep = Effect.map(TestClock.sleeps(), (deadlines) =>
  Chunk.isNonEmpty(deadlines) ? Option.some(Math.min(...deadlines)) : Option.none<number>(),
)

/**
 * Lets `total` of test-clock time pass: every sleep due on the way fires, in order, and the sleeps
 * the fibers it wakes schedule within `total` fire too.
 */
export const passTime = (total: Duration.DurationInput, options: TimeOptions = {}) =>
  Effect.gen(function* () {
    const end = (yield* TestClock.currentTimeMillis) + Duration.toMillis(total)
    yield* nextEventLoopTurn
    for (let turn = 0; ; turn++) {
      if (turn === turnLimit) return yield* tooManyTurns("passTime")
      const next = yield* earliestSleep
      if (Option.isNone(next) || next.value > end) break
      yield* jumpTo(next.value, options)
    }
    yield* jumpTo(end, options)
  })

/**
 * Runs `effect` on the test clock: whenever nothing is left to run but sleeps, time jumps to the
 * earliest; meanwhile real I/O runs as usual.
 */
export const withVirtualTime = <A, E, R>(effect: Effect.Effect<A, E, R>, options: TimeOptions = {}) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(effect)
    return yield* joinWhileTimePasses(fiber, options)
  })

/** Lets time pass, deadline to deadline, until the fiber is done; its result. */
export const joinWhileTimePasses = <A, E>(fiber: Fiber.Fiber<A, E>, options: TimeOptions = {}) =>
  Effect.gen(function* () {
    yield* nextEventLoopTurn
    for (let turn = 0; Option.isNone(yield* Fiber.poll(fiber)); turn++) {
      if (turn === turnLimit) return yield* tooManyTurns("joinWhileTimePasses")
      const next = yield* earliestSleep
      if (Option.isSome(next)) yield* jumpTo(next.value, options)
      else yield* nextEventLoopTurn
    }
    return yield* Fiber.join(fiber)
  })

/** Lets time pass, deadline to deadline, until `done` holds (checked after each jump). */
export const passTimeUntil = (done: Effect.Effect<boolean>, options: TimeOptions = {}): Effect.Effect<void> =>
  Effect.gen(function* () {
    yield* nextEventLoopTurn
    for (let turn = 0; !(yield* done); turn++) {
      if (turn === turnLimit) return yield* tooManyTurns("passTimeUntil")
      const next = yield* earliestSleep
      if (Option.isSome(next)) yield* jumpTo(next.value, options)
      else yield* nextEventLoopTurn
    }
  })
