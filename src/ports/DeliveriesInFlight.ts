import { Context, Effect, type Exit } from "effect"

/** What `once` did: ran the work itself (`first`), or waited for a run of the same delivery already under way. */
export interface OnceOutcome<A, E> {
  readonly first: boolean
  readonly result: Exit.Exit<A, E>
}

/**
 * Deliveries being processed right now in this process. Nothing by default (every call runs); the
 * service provides `InFlightDeliveries.layer`, so that concurrent copies of one delivery (GitHub's,
 * a person's, a replay's) are processed once.
 */
export class DeliveriesInFlight extends Context.Reference<DeliveriesInFlight>()(
  "run-index/DeliveriesInFlight",
  {
    defaultValue: (): {
      /**
       * Runs `work` for `deliveryId` unless a run for the same id is under way in this process; then
       * waits for that run and returns its result (success or failure) with `first: false`. A run
       * that was interrupted settles nothing: a waiter then runs `work` itself.
       */
      readonly once: <A, E, R>(
        deliveryId: string,
        work: Effect.Effect<A, E, R>,
      ) => Effect.Effect<OnceOutcome<A, E>, never, R>
    } => ({
      once: (_deliveryId, work) => Effect.map(Effect.exit(work), (result) => ({ first: true, result })),
    }),
  },
) {}
