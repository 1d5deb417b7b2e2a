import { Effect, Either, Layer, Option, Schema, Stream } from "effect"
import { describeParseError } from "../domain/EntryValidation.js"
import { DeliveryId } from "../domain/WorkflowRunPayload.js"
import {
  DeliveryLog,
  type DeliveryRecord,
  type ParkedDelivery,
  ParkedDeliveryFromJson,
  type ParkedEntry,
} from "../ports/DeliveryLog.js"
import type { StoreError } from "../ports/StoreError.js"
import { ObjectStore, WriteCondition } from "./objects/ObjectStore.js"

const deliveriesPrefix = "webhooks/github/deliveries/"
const parkedPrefix = "webhooks/github/parked/"
const deadLettersPrefix = "webhooks/github/dead-letters/"

const StoredRecord = Schema.parseJson(
  Schema.Struct({
    deliveryId: DeliveryId,
    event: Schema.String,
    outcome: Schema.String,
    processedAt: Schema.String,
  }),
)
const StoredParked = ParkedDeliveryFromJson
const decodeRecord = Schema.decodeUnknownEither(StoredRecord)
const decodeParked = Schema.decodeUnknownEither(StoredParked)

/**
 * Delivery records at `webhooks/github/deliveries/<id>.json` and parked deliveries at
 * `webhooks/github/parked/<id>.json`, over any object store.
 */
export const layer: Layer.Layer<DeliveryLog, never, ObjectStore> = Layer.effect(
  DeliveryLog,
  Effect.gen(function* () {
    const objects = yield* ObjectStore
    const recordPath = (deliveryId: string) => `${deliveriesPrefix}${deliveryId}.json`
    const parkedPath = (deliveryId: string) => `${parkedPrefix}${deliveryId}.json`

    // `processed` and `record` run on every delivery: untraced, like the other stores' hot paths; the
    // span of `Webhooks.processDelivery` covers them.
    const processed = Effect.fnUntraced(function* (deliveryId: DeliveryId) {
      const stored = yield* objects.get(recordPath(deliveryId))
      // A record that does not decode still says the delivery was processed.
      return Option.map(
        stored,
        (found): DeliveryRecord =>
          Either.getOrElse(decodeRecord(found.body), () => ({
            deliveryId,
            event: "unknown",
            outcome: "unreadable-record",
            processedAt: "",
          })),
      )
    })

    const record = Effect.fnUntraced(function* (entry: DeliveryRecord) {
      const written = yield* objects.put(
        recordPath(entry.deliveryId),
        JSON.stringify(entry),
        WriteCondition.IfAbsent(),
      )
      return written._tag !== "PreconditionFailed"
    })

    const park = Effect.fn("DeliveryLog.park")(function* (entry: ParkedDelivery) {
      yield* objects.put(parkedPath(entry.deliveryId), JSON.stringify(entry), WriteCondition.Always())
    })

    const unpark = Effect.fn("DeliveryLog.unpark")(function* (deliveryId: DeliveryId) {
      yield* objects.delete(parkedPath(deliveryId))
    })

    const listed = (prefix: string): Stream.Stream<ParkedEntry, StoreError> =>
      objects.list(prefix).pipe(
        Stream.mapEffect((listed) => Effect.map(objects.get(listed.path), (stored) => ({ listed, stored })), {
          concurrency: 8,
        }),
        // An object deleted between the listing and the read (replayed meanwhile) is gone, not unreadable.
        Stream.filterMap(({ listed, stored }) =>
          Option.map(stored, (found): ParkedEntry => {
            const decoded = decodeParked(found.body)
            if (Either.isRight(decoded)) return { _tag: "Readable", ...decoded.right }
            return {
              _tag: "Unreadable",
              deliveryId: listed.path.slice(prefix.length).replace(/\.json$/, ""),
              path: listed.path,
              reason: describeParseError(decoded.left),
            }
          }),
        ),
      )

    const deadLetter = Effect.fn("DeliveryLog.deadLetter")(function* (entry: ParkedDelivery) {
      yield* objects.put(
        `${deadLettersPrefix}${entry.deliveryId}.json`,
        JSON.stringify(entry),
        WriteCondition.Always(),
      )
    })

    return DeliveryLog.of({
      processed,
      record,
      park,
      parked: listed(parkedPrefix),
      unpark,
      deadLetter,
      deadLetters: listed(deadLettersPrefix),
    })
  }),
)
