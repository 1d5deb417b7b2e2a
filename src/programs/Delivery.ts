/** What a webhook delivery is, and what processing it can come to. */
import { Data } from "effect"
import type { DeliveryId } from "../domain/WorkflowRunPayload.js"
import type { WorkflowRunHandled } from "./WorkflowRunHandling.js"

/** A delivery whose body cannot be a `workflow_run` event: 400, and nothing changes. */
export class MalformedPayload extends Data.TaggedError("MalformedPayload")<{ readonly detail: string }> {
  override get message(): string {
    return `malformed workflow_run payload: ${this.detail}`
  }
}

export interface Delivery {
  readonly deliveryId: DeliveryId
  readonly event: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

export type DeliveryResult =
  | { readonly _tag: "Duplicate" }
  | { readonly _tag: "Pong" }
  | { readonly _tag: "Ignored"; readonly event: string }
  | ({
      readonly _tag: "Processed"
    } & WorkflowRunHandled)
  | {
      /** It can never succeed as it is (its request document is invalid): kept, recorded, answered 2xx. */
      readonly _tag: "DeadLetter"
      readonly reason: string
      readonly detail: string
    }
  | {
      readonly _tag: "Parked"
      /** Why, in one word (`Throttled`, `Unavailable`, `Contended`, …): safe to show to the sender. */
      readonly reason: string
      /** Why, in full (store locations, parse errors): for the logs and the parked record only. */
      readonly detail: string
    }
