import { Deferred, Effect, Exit, FiberId, Layer } from "effect"
import { DeliveriesInFlight, type OnceOutcome } from "../ports/DeliveriesInFlight.js"

/** One process's deliveries under way, by delivery id: fresh per layer build, emptied as each run ends. */
export const layer: Layer.Layer<DeliveriesInFlight> = Layer.sync(DeliveriesInFlight, () => {
  const running = new Map<string, Deferred.Deferred<Exit.Exit<unknown, unknown>>>()

  const once = <A, E, R>(
    deliveryId: string,
    work: Effect.Effect<A, E, R>,
  ): Effect.Effect<OnceOutcome<A, E>, never, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const underWay = running.get(deliveryId)
        if (underWay !== undefined) {
          return restore(Deferred.await(underWay)).pipe(
            Effect.flatMap((exit) =>
              Exit.isInterrupted(exit)
                ? restore(once(deliveryId, work))
                : Effect.succeed({ first: false, result: exit as Exit.Exit<A, E> }),
            ),
          )
        }
        const settled = Deferred.unsafeMake<Exit.Exit<unknown, unknown>>(FiberId.none)
        running.set(deliveryId, settled)
        return Effect.exit(restore(work)).pipe(
          Effect.tap((exit) =>
            Effect.andThen(
              Effect.sync(() => running.delete(deliveryId)),
              Deferred.succeed(settled, exit),
            ),
          ),
          Effect.map((result) => ({ first: true, result })),
        )
      }),
    )

  return { once }
})
