import { Cause, Effect, Either, Exit, Layer, ManagedRuntime, Option, Schema } from "effect"
import { describeParseError } from "../domain/EntryValidation.js"
import { RequestId } from "../domain/RequestId.js"
import { defaultRetentionDays, RetentionDays } from "../domain/Retention.js"
import { RunId, RunIdFromString } from "../domain/RunId.js"
import type { RunIndexEntry } from "../domain/RunIndexEntry.js"
import { WorkflowKind } from "../domain/WorkflowKind.js"
import { Retention } from "../ports/Retention.js"
import type { StoreError, StoreFailureReason } from "../ports/StoreError.js"
import { claimRun, getRequestIdByRunId, putRunIndex } from "../programs/RunIndex.js"
import * as ObjectRunIndexStore from "./ObjectRunIndexStore.js"
import type { ObjectStore } from "./objects/ObjectStore.js"

export interface RunIndexOptions {
  /** The S3 bucket (`TFPILOT_REQUESTS_BUCKET`); without one the directory store is used. */
  readonly bucket?: string
  readonly region?: string
  /** An S3-compatible endpoint, addressed path-style. */
  readonly endpoint?: string
  /** The directory store's root when no bucket is given (default `.run-index`). */
  readonly dataDirectory?: string
  /** Days until `expiresAt` on new entries (default 90). */
  readonly retentionDays?: number
  /**
   * What `getRequestIdByRunId` does when the store cannot answer (throttled, down, denied):
   * `"reject"` (default) rejects with `RunIndexUnavailableError`; `"null"` resolves `null`, as the seed did.
   */
  readonly onUnavailable?: "reject" | "null"
}

/** A run id, kind or request id that is not valid; nothing was read or written. */
export class RunIndexInputError extends Error {
  override readonly name = "RunIndexInputError"
  constructor(
    readonly field: "kind" | "runId" | "requestId" | "retentionDays",
    detail: string,
  ) {
    super(`${field}: ${detail}`)
  }
}

/** The store could not answer; `reason` says why (Throttled, Unavailable, AccessDenied, …). */
export class RunIndexUnavailableError extends Error {
  override readonly name = "RunIndexUnavailableError"
  readonly reason: StoreFailureReason
  constructor(error: StoreError) {
    super(error.message, { cause: error })
    this.reason = error.reason
  }
}

export type ClaimOutcome =
  | { readonly status: "claimed"; readonly entry: RunIndexEntry }
  | { readonly status: "already-yours"; readonly entry: RunIndexEntry }
  | { readonly status: "owned-by-other"; readonly owner: string; readonly entry: RunIndexEntry }
  | { readonly status: "blocked"; readonly reason: string; readonly detail: string }

export interface RunIndex {
  /** Writes the mapping, replacing any entry for the run (the seed's semantics). */
  readonly putRunIndex: (kind: string, runId: number | string, requestId: string) => Promise<void>
  /** The owning request id; `null` when there is no entry or it is invalid. */
  readonly getRequestIdByRunId: (kind: string, runId: number | string) => Promise<string | null>
  /** Assigns the run unless another request already holds it. */
  readonly claimRun: (kind: string, runId: number | string, requestId: string) => Promise<ClaimOutcome>
  /** @deprecated use `putRunIndex("destroy", runId, requestId)`. */
  readonly putDestroyRunIndex: (runId: number | string, requestId: string) => Promise<void>
  /** @deprecated use `getRequestIdByRunId("destroy", runId)`. */
  readonly getRequestIdByDestroyRunIdIndexed: (runId: number | string) => Promise<string | null>
  /** Releases the store's client; call once when the host shuts down. */
  readonly close: () => Promise<void>
}

const decodeField = <A, I>(
  field: RunIndexInputError["field"],
  schema: Schema.Schema<A, I>,
  value: unknown,
): A =>
  Either.getOrThrowWith(Schema.decodeUnknownEither(schema)(value), (error) => {
    return new RunIndexInputError(field, `${JSON.stringify(value)} ${describeParseError(error)}`)
  })

const decodeRunId = (value: number | string): RunId =>
  typeof value === "number"
    ? decodeField("runId", RunId, value)
    : decodeField("runId", RunIdFromString, value)

const optional = <A>(value: A | undefined) => Option.fromNullable(value)

/** Where the host's options say the index is; `None` where they leave it to the defaults. */
export interface StoreOptions {
  readonly bucket: Option.Option<string>
  readonly dataDirectory: Option.Option<string>
  readonly region: Option.Option<string>
  readonly endpoint: Option.Option<string>
}

/**
 * The run index for hosts that do not use Effect: Promises in, Promises out, over the object store
 * `objects` builds for these options (the composition's `createRunIndex` picks it, src/app/Library.ts).
 * Invalid options throw `RunIndexInputError` before anything is built.
 */
export const make = (
  options: RunIndexOptions,
  objects: (choice: StoreOptions) => Layer.Layer<ObjectStore>,
): RunIndex => {
  const days = decodeField("retentionDays", RetentionDays, options.retentionDays ?? defaultRetentionDays)
  const store = ObjectRunIndexStore.layer.pipe(
    Layer.provide(
      objects({
        bucket: optional(options.bucket),
        dataDirectory: Option.fromNullable(options.dataDirectory),
        region: optional(options.region),
        endpoint: optional(options.endpoint),
      }),
    ),
    Layer.merge(Layer.succeed(Retention, { days })),
  )
  const runtime = ManagedRuntime.make(store)

  const run = <A>(effect: Effect.Effect<A, StoreError, Layer.Layer.Success<typeof store>>) =>
    runtime
      .runPromiseExit(effect.pipe(Effect.mapError((error) => new RunIndexUnavailableError(error))))
      // Reject with the error itself, not Effect's FiberFailure wrapper, so `instanceof` works for hosts.
      .then((exit) => (Exit.isSuccess(exit) ? exit.value : Promise.reject(Cause.squash(exit.cause))))

  /** Validation happens before the store is touched, and rejects the returned Promise. */
  const validated = <A>(build: () => Promise<A>): Promise<A> => {
    try {
      return build()
    } catch (error) {
      return Promise.reject(error)
    }
  }

  const facade: RunIndex = {
    putRunIndex: (kind, runId, requestId) =>
      validated(() => {
        const mapping = {
          kind: decodeField("kind", WorkflowKind, kind),
          runId: decodeRunId(runId),
          requestId: decodeField("requestId", RequestId, requestId),
        }
        return run(Effect.asVoid(putRunIndex(mapping)))
      }),
    getRequestIdByRunId: (kind, runId) =>
      validated(() => {
        const lookup = getRequestIdByRunId(decodeField("kind", WorkflowKind, kind), decodeRunId(runId))
        return run(
          Effect.map(lookup, (found) => (found._tag === "Found" ? found.entry.requestId : null)),
        ).catch((error: unknown) => {
          if (options.onUnavailable === "null" && error instanceof RunIndexUnavailableError) return null
          throw error
        })
      }),
    claimRun: (kind, runId, requestId) =>
      validated(() => {
        const mapping = {
          kind: decodeField("kind", WorkflowKind, kind),
          runId: decodeRunId(runId),
          requestId: decodeField("requestId", RequestId, requestId),
        }
        return run(
          Effect.map(claimRun(mapping), (claim): ClaimOutcome => {
            switch (claim._tag) {
              case "Claimed":
                return { status: "claimed", entry: claim.entry }
              case "AlreadyYours":
                return { status: "already-yours", entry: claim.entry }
              case "OwnedByOther":
                return { status: "owned-by-other", owner: claim.owner, entry: claim.entry }
              case "Blocked":
                return { status: "blocked", reason: claim.invalid.reason, detail: claim.invalid.detail }
            }
          }),
        )
      }),
    putDestroyRunIndex: (runId, requestId) => facade.putRunIndex("destroy", runId, requestId),
    getRequestIdByDestroyRunIdIndexed: (runId) => facade.getRequestIdByRunId("destroy", runId),
    close: () => runtime.dispose(),
  }
  return facade
}
