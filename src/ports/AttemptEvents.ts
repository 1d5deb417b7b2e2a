import { Context, Effect } from "effect"
import type { RequestId } from "../domain/RequestId.js"
import type { AttemptEvent } from "../domain/RunEventPatch.js"

export interface PublishedAttemptEvent {
  readonly requestId: RequestId
  readonly event: AttemptEvent
}

/** Where attempt state changes go: nowhere by default; a hub for library users; the log in the service. */
export class AttemptEvents extends Context.Reference<AttemptEvents>()("run-index/AttemptEvents", {
  defaultValue: (): {
    readonly publish: (events: ReadonlyArray<PublishedAttemptEvent>) => Effect.Effect<void>
  } => ({
    publish: () => Effect.void,
  }),
}) {}
