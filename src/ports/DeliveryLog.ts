import { Context, type Effect, type Option, Schema, type Stream } from "effect"
import { DeliveryId } from "../domain/WorkflowRunPayload.js"
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

/** A parked delivery as JSON text: how the delivery log and the local spool store one. */
export const ParkedDeliveryFromJson = Schema.parseJson(
  Schema.Struct({
    deliveryId: DeliveryId,
    headers: Schema.Record({ key: Schema.String, value: Schema.String }),
    body: Schema.String,
    reason: Schema.String,
    parkedAt: Schema.String,
    attempts: Schema.Number,
  }),
)

/**
 * A parked object that does not decode as a parked delivery (a hand edit, a partial write by
 * something else): listed with why, left in place, removed only by an operator (`unpark`).
 */
export interface UnreadableParked {
  readonly _tag: "Unreadable"
  /** The id its key names (`…/parked/<id>.json`). */
  readonly deliveryId: string
  readonly path: string
  readonly reason: string
}

/** What the parking lot holds: a delivery to replay, or an object that cannot be read as one. */
export type ParkedEntry = ({ readonly _tag: "Readable" } & ParkedDelivery) | UnreadableParked

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
    /**
     * Every parked object, in key order, a page at a time: each a delivery, or — when it does not
     * decode — `Unreadable` with its path and why. Nothing under the prefix is skipped.
     */
    readonly parked: Stream.Stream<ParkedEntry, StoreError>
    /**
     * Keeps a delivery that can never succeed as it is (its request document is invalid) whole, as a
     * dead letter; keeping it again replaces it. It is not replayed: a person repairs the cause.
     */
    readonly deadLetter: (delivery: ParkedDelivery) => Effect.Effect<void, StoreError>
    /** Dead letters, in key order, listed as `parked` lists (an unreadable one included). */
    readonly deadLetters: Stream.Stream<ParkedEntry, StoreError>
    /**
     * Removes a parked delivery or unreadable object by the id its key names (after a successful
     * replay, or by an operator); removing a missing one succeeds.
     */
    readonly unpark: (deliveryId: DeliveryId) => Effect.Effect<void, StoreError>
  }
>() {}
