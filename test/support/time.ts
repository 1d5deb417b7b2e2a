import { Duration, Effect, Fiber, Option, TestClock } from "effect"

/**
 * Moves the test clock by `total` in `step`s, so that fibers woken on the way get to schedule their
 * next sleeps (one large `TestClock.adjust` only fires the sleeps already scheduled).
 */
export const passTime = (total: Duration.DurationInput, step: Duration.DurationInput = "100 millis") =>
  Effect.gen(function* () {
    const steps = Math.ceil(Duration.toMillis(total) / Duration.toMillis(step))
    for (let index = 0; index < steps; index++) yield* TestClock.adjust(step)
  })

/** Lets simulated time pass a step at a time until the fiber is done (at most `limit` steps). */
export const joinWhileTimePasses = <A, E>(
  fiber: Fiber.Fiber<A, E>,
  step: Duration.DurationInput = "100 millis",
  limit = 20_000,
) =>
  Effect.gen(function* () {
    for (let index = 0; index < limit && Option.isNone(yield* Fiber.poll(fiber)); index++) {
      yield* TestClock.adjust(step)
    }
    return yield* Fiber.join(fiber)
  })
