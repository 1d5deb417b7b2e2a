import { Chunk, Clock, Effect, Option, Stream } from "effect"
import type { InvalidReason } from "../domain/EntryValidation.js"
import { timestampFromMillis } from "../domain/Timestamp.js"
import { type Listed, type ListOptions, RunIndexStore } from "../ports/RunIndexStore.js"
import type { StoreFailureReason } from "../ports/StoreError.js"
import type { InvalidListing } from "./Inspection.js"
import { retryTransient } from "./RequestUpdates.js"

/** Paths per batched delete: S3's DeleteObjects maximum, so one call removes a listing page's worth. */
export const sweepBatchSize = 1000

export interface SweepOptions extends ListOptions {
  /** Count what would be deleted, delete nothing. */
  readonly dryRun?: boolean
  /** Delete entries whose `expiresAt` is before this instant (epoch ms) instead of before now. */
  readonly beforeMillis?: number
  /** Delete invalid entries too; without it they are only reported. */
  readonly deleteInvalid?: boolean
  /** Invalid entries and refused deletes listed in the report; the counts cover all of them. */
  readonly maxListed?: number
  /** Called after each listed entry with the running count, for progress reports. */
  readonly onEntry?: (seen: number) => void
}

export interface SweepFailure {
  readonly path: string
  readonly reason: StoreFailureReason
  readonly detail: string
}

export interface SweepReport {
  /** Entries whose `expiresAt` is before this are expired. */
  readonly cutoff: string
  readonly dryRun: boolean
  readonly scanned: number
  /** Valid entries past the cutoff: deleted, or on a dry run to be deleted. */
  readonly expired: number
  /** Valid entries not past the cutoff, left alone. */
  readonly kept: number
  readonly invalid: number
  readonly invalidReasons: Readonly<Partial<Record<InvalidReason, number>>>
  /** Paths removed; 0 on a dry run. */
  readonly deleted: number
  /** Paths the store refused to remove. */
  readonly failed: number
  readonly invalidEntries: ReadonlyArray<InvalidListing>
  readonly failures: ReadonlyArray<SweepFailure>
}

/**
 * Deletes entries whose `expiresAt` is past, streaming the listing and deleting in batches of
 * `sweepBatchSize` as it goes, so memory holds one batch of paths whatever the size of the index.
 * Invalid entries are counted and listed, and deleted only with `deleteInvalid`.
 */
export const sweepIndex = Effect.fn("Sweep.sweepIndex")(function* (options: SweepOptions = {}) {
  const store = yield* RunIndexStore
  const cutoffMillis = options.beforeMillis ?? (yield* Clock.currentTimeMillis)
  const maxListed = options.maxListed ?? 1000
  const dryRun = options.dryRun === true
  let scanned = 0
  let expired = 0
  let kept = 0
  let invalid = 0
  let deleted = 0
  let failed = 0
  const invalidReasons: Partial<Record<InvalidReason, number>> = {}
  const invalidEntries: Array<InvalidListing> = []
  const failures: Array<SweepFailure> = []

  /** The path to delete, if this entry is to go. */
  const judge = (listed: Listed): Option.Option<string> => {
    scanned += 1
    options.onEntry?.(scanned)
    if (listed._tag === "Valid") {
      if (Date.parse(listed.entry.expiresAt) < cutoffMillis) {
        expired += 1
        return Option.some(listed.path)
      }
      kept += 1
      return Option.none()
    }
    invalid += 1
    const { reason, detail } = listed.invalid
    invalidReasons[reason] = (invalidReasons[reason] ?? 0) + 1
    if (invalidEntries.length < maxListed) invalidEntries.push({ path: listed.path, reason, detail })
    return options.deleteInvalid === true ? Option.some(listed.path) : Option.none()
  }

  const deleteBatch = (batch: ReadonlyArray<string>) =>
    dryRun
      ? Effect.void
      : // Deleting is idempotent, so a batch that met throttling is simply sent again.
        Effect.map(retryTransient(store.deleteMany(batch)), (refused) => {
          deleted += batch.length - refused.length
          for (const { path, error } of refused.slice(0, maxListed - failures.length)) {
            failures.push({ path, reason: error.reason, detail: error.detail })
          }
          failed += refused.length
        })

  yield* store.list(options).pipe(
    Stream.filterMap(judge),
    Stream.grouped(sweepBatchSize),
    Stream.runForEach((batch) => deleteBatch(Chunk.toReadonlyArray(batch))),
  )
  return {
    cutoff: timestampFromMillis(cutoffMillis),
    dryRun,
    scanned,
    expired,
    kept,
    invalid,
    invalidReasons,
    deleted,
    failed,
    invalidEntries,
    failures,
  } satisfies SweepReport
})
