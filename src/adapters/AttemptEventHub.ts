import { Context, Effect, Layer, PubSub, type Queue, type Scope } from "effect"
import { AttemptEvents, type PublishedAttemptEvent } from "../ports/AttemptEvents.js"

/** Subscribe to attempt state changes (started, completed with conclusion) as the webhook path makes them. */
export class AttemptEventHub extends Context.Tag("run-index/AttemptEventHub")<
  AttemptEventHub,
  { readonly subscribe: Effect.Effect<Queue.Dequeue<PublishedAttemptEvent>, never, Scope.Scope> }
>() {}

/** Publishes every attempt event to subscribers of `AttemptEventHub`; unbounded, so publishing never waits. */
export const layer: Layer.Layer<AttemptEvents | AttemptEventHub> = Layer.scopedContext(
  Effect.gen(function* () {
    const hub = yield* Effect.acquireRelease(PubSub.unbounded<PublishedAttemptEvent>(), PubSub.shutdown)
    return Context.make(AttemptEvents, {
      publish: (events) => Effect.asVoid(PubSub.publishAll(hub, events)),
    }).pipe(Context.add(AttemptEventHub, { subscribe: PubSub.subscribe(hub) }))
  }),
)
