import { Schema } from "effect"

/** Why a store call failed. Only `Throttled` and `Unavailable` are worth retrying. */
export const StoreFailureReason = Schema.Literal(
  "Throttled",
  "Unavailable",
  "AccessDenied",
  "Conflict",
  "NotConfigured",
  "Unknown",
)
export type StoreFailureReason = typeof StoreFailureReason.Type

/**
 * A store could not answer. Never a "not found": a missing entry is a result, not an error,
 * so throttling or an outage can never make a run look unclaimed.
 */
export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  reason: StoreFailureReason,
  operation: Schema.String,
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect),
}) {
  override get message(): string {
    return `store ${this.operation} failed (${this.reason}): ${this.detail}`
  }
}

/** An object to remove; with `version`, only if it is still that version (unchanged since listed). */
export interface DeleteTarget {
  readonly path: string
  readonly version?: string
}

/**
 * An object a batched delete did not remove, and why; the rest of the batch was still removed.
 * Reason `Conflict`: it changed since it was listed (its version no longer matched), and was kept.
 */
export interface DeleteFailure {
  readonly path: string
  readonly error: StoreError
}

export const isTransient = (error: StoreError): boolean =>
  error.reason === "Throttled" || error.reason === "Unavailable"
