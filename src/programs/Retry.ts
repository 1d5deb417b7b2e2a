import { Effect, type Schedule } from "effect"

export interface RetryOptions<E> {
  readonly schedule: Schedule.Schedule<unknown, E>
  readonly while: (error: E) => boolean
}

/**
 * `Effect.retry(effect, options)` whose schedule starts only after a first failure that `while`
 * accepts: an effect that succeeds, as nearly every store call does, costs no schedule driver (each
 * cost about as much CPU as a memory-store call, several times per webhook delivery; bench
 * "webhook"). The schedule sees that first failure as its own, so its waits and its count of tries
 * are those of `Effect.retry`.
 */
export const retryOnFailure = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options: RetryOptions<E>,
): Effect.Effect<A, E, R> =>
  Effect.catchIf(effect, options.while, (first) =>
    Effect.suspend(() => {
      let replayed = false
      const again = Effect.suspend(() => {
        if (replayed) return effect
        replayed = true
        return Effect.fail(first)
      })
      return Effect.retry(again, options)
    }),
  )
