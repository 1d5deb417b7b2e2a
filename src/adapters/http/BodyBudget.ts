import { Data, type Duration, Effect, Option, Predicate, Schedule } from "effect"
import { retryOnFailure } from "../../programs/Retry.js"

/** The body could not reserve its bytes within the wait: answered 503, its body never read. */
export class BodyBudgetExhausted extends Data.TaggedError("BodyBudgetExhausted")<{
  readonly bytes: number
}> {}

/**
 * Bytes of request bodies held at once across all requests, counted in KB permits of one
 * semaphore. A body reserves its bytes before it is read and returns them when the effect that
 * holds them ends.
 */
export interface BodyBudget {
  readonly withBytes: (
    bytes: number,
  ) => <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | BodyBudgetExhausted, R>
}

const kilobytes = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024))

/** How often a waiting body looks again for free bytes. */
const pollEvery = "20 millis"

/**
 * `capacity` bytes; a body waits at most `wait` for its bytes. A body larger than the whole
 * capacity reserves all of it. The wait polls (`withPermitsIfAvailable`) rather than queueing on the
 * semaphore: a queued `take` abandoned by a timeout can, in a race, keep permits it was granted.
 * Polling is not first-come-first-served, which is acceptable for a wait that ends in 503.
 */
export const make = (capacity: number, wait: Duration.DurationInput): Effect.Effect<BodyBudget> =>
  Effect.map(Effect.makeSemaphore(kilobytes(capacity)), (semaphore) => ({
    withBytes:
      (bytes) =>
      <A, E, R>(self: Effect.Effect<A, E, R>) => {
        const permits = Math.min(kilobytes(bytes), kilobytes(capacity))
        const attempt = semaphore
          .withPermitsIfAvailable(permits)(self)
          .pipe(
            Effect.flatMap(
              Option.match({
                onNone: () => Effect.fail(new BodyBudgetExhausted({ bytes })),
                onSome: (value) => Effect.succeed(value),
              }),
            ),
          )
        // Polling starts only when the first look finds too few bytes free: most bodies find them.
        return retryOnFailure(attempt, {
          schedule: Schedule.spaced(pollEvery).pipe(Schedule.upTo(wait)),
          while: (error) => Predicate.isTagged(error, "BodyBudgetExhausted"),
        })
      },
  }))

/** No limit (tests of other things, and the library use of the router). */
export const unlimited: BodyBudget = { withBytes: () => (self) => self }
