import { Deferred, Duration, Effect, Exit, FiberId, Layer } from "effect"
import { DeliveriesInFlight, type OnceOutcome } from "../ports/DeliveriesInFlight.js"

/** How long a shutting-down service waits for deliveries under way (GitHub gives up on an answer after 10 s). */
export const defaultShutdownGrace = Duration.seconds(10)

/**
 * One process's deliveries under way, by delivery id: fresh per layer build, emptied as each run
 * ends. When the layer is released (the service shuts down, after it stopped accepting), it waits
 * for the deliveries still under way, at most `grace`, so they are recorded or parked, not cut off.
 */
export const layer: Layer.Layer<DeliveriesInFlight> = Layer.scoped(
  DeliveriesInFlight,
  Effect.suspend(() => make(defaultShutdownGrace)),
)

const make = Effect.fnUntraced(function* (grace: Duration.Duration) {
  const running = new Map<string, Deferred.Deferred<Exit.Exit<unknown, unknown>>>()
  yield* Effect.addFinalizer(() =>
    Effect.suspend(() => {
      const underWay = [...running.values()]
      if (underWay.length === 0) return Effect.void
      return Effect.logInfo("shutdown: waiting for deliveries under way").pipe(
        Effect.annotateLogs({ deliveries: underWay.length, grace: Duration.format(grace) }),
        Effect.zipRight(Effect.forEach(underWay, Deferred.await, { discard: true })),
        Effect.timeoutOption(grace),
        Effect.flatMap((finished) =>
          finished._tag === "Some"
            ? Effect.logInfo("shutdown: deliveries under way finished")
            : Effect.logWarning("shutdown: deliveries still under way were cut off").pipe(
                Effect.annotateLogs({ deliveries: running.size }),
              ),
        ),
      )
    }),
  )

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

  return DeliveriesInFlight.of({ once })
})
