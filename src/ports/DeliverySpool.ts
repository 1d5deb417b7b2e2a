import { Context, Effect, Schema, Stream } from "effect"
import type { DeliveryId } from "../domain/WorkflowRunPayload.js"
import type { ParkedDelivery } from "./DeliveryLog.js"

/** The spool would not take a delivery: there is none (`NoSpool`), it is full, or its disk failed. */
export class SpoolRefused extends Schema.TaggedError<SpoolRefused>()("SpoolRefused", {
  reason: Schema.Literal("NoSpool", "Full", "Unavailable"),
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect),
}) {
  override get message(): string {
    return `delivery not spooled (${this.reason}): ${this.detail}`
  }
}

/** How full the spool is, and its bounds. */
export interface SpoolUsage {
  readonly deliveries: number
  readonly bytes: number
  readonly maxDeliveries: number
  readonly maxBytes: number
}

/**
 * Where a delivery goes when the store cannot even park it: a bounded place on this instance's own
 * disk, moved to the store's parking lot once the store answers again (`drainSpool`). Nothing by
 * default (every `keep` is refused with `NoSpool`); the service and the CLI provide the local spool.
 */
export class DeliverySpool extends Context.Reference<DeliverySpool>()("run-index/DeliverySpool", {
  defaultValue: (): {
    /**
     * Keeps a parked delivery until it can be moved to the store; keeping one already spooled
     * replaces it. Refused with `Full` when it would pass the spool's bounds (nothing is dropped
     * to make room).
     */
    readonly keep: (parked: ParkedDelivery) => Effect.Effect<void, SpoolRefused>
    /** The deliveries spooled, in delivery id order. One that cannot be read is skipped and logged, and left in place. */
    readonly spooled: Stream.Stream<ParkedDelivery, SpoolRefused>
    /** Removes a spooled delivery (once the store holds it); removing a missing one succeeds. */
    readonly remove: (deliveryId: DeliveryId) => Effect.Effect<void, SpoolRefused>
    readonly usage: Effect.Effect<SpoolUsage>
  } => ({
    keep: () => Effect.fail(new SpoolRefused({ reason: "NoSpool", detail: "no local spool is configured" })),
    spooled: Stream.empty,
    remove: () => Effect.void,
    usage: Effect.succeed({ deliveries: 0, bytes: 0, maxDeliveries: 0, maxBytes: 0 }),
  }),
}) {}
