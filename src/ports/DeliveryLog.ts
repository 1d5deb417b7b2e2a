import { Context, type Effect, type Option, type Stream } from "effect"
import type { DeliveryId } from "../domain/WorkflowRunPayload.js"
import type { StoreError } from "./StoreError.js"

/** What became of a delivery that was processed. */
export interface DeliveryRecord {
  readonly deliveryId: DeliveryId
  readonly event: string
  /** e.g. `Patched`, `Unchanged`, `NoRequest`, `ignored`. */
  readonly outcome: string
  readonly processedAt: string
}

/** A delivery that could not be processed, kept whole so it can be replayed. */
export interface ParkedDelivery {
  readonly deliveryId: DeliveryId
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly reason: string
  readonly parkedAt: string
  readonly attempts: number
}

/** Webhook deliveries: which were processed, and which wait to be replayed. */
export class DeliveryLog extends Context.Tag("run-index/DeliveryLog")<
  DeliveryLog,
  {
    /** The record of a processed delivery, if any. */
    readonly processed: (deliveryId: DeliveryId) => Effect.Effect<Option.Option<DeliveryRecord>, StoreError>
    /**
     * Records a delivery as processed (written only after processing succeeded) unless a record of it
     * is already there: `true` when this call wrote it, `false` for a duplicate (the first record is
     * kept). One conditional write.
     */
    readonly record: (record: DeliveryRecord) => Effect.Effect<boolean, StoreError>
    /** Keeps a delivery that failed, with its headers and raw body; parking it again replaces it. */
    readonly park: (parked: ParkedDelivery) => Effect.Effect<void, StoreError>
    /** Parked deliveries, oldest key first, a page at a time. */
    readonly parked: Stream.Stream<ParkedDelivery, StoreError>
    /** Removes a parked delivery (after a successful replay); removing a missing one succeeds. */
    readonly unpark: (deliveryId: DeliveryId) => Effect.Effect<void, StoreError>
  }
>() {}
