import { Chunk, Clock, Effect, Stream } from "effect"
import type { InvalidReason } from "../domain/EntryValidation.js"
import { expiryMillis, type RetentionDays } from "../domain/Retention.js"
import { timestampFromMillis } from "../domain/Timestamp.js"
import { Retention } from "../ports/Retention.js"
import { type Listed, type ListedKey, type ListOptions, RunIndexStore } from "../ports/RunIndexStore.js"
import type { DeleteTarget, StoreFailureReason } from "../ports/StoreError.js"
import type { InvalidListing } from "./Inspection.js"
import { retryTransient } from "./RequestUpdates.js"

/**
 * How a sweep judges an entry. `age`: by the listing alone, as a bucket lifecycle rule does —
 * expired when its LastModified + the retention is past (entries are written once, so that is
 * their `expiresAt`). `bodies`: by reading each entry and its `expiresAt`, reporting invalid ones.
 */
export type SweepMode = "age" | "bodies"

export interface SweepProgress {
  readonly seen: number
  readonly deleted: number
  readonly elapsedMillis: number
}

export interface SweepOptions extends ListOptions {
  /** Judge by each entry's `expiresAt`, reading every body (one GET each), instead of by age. */
  readonly readBodies?: boolean
  /** Count what would be deleted, delete nothing. */
  readonly dryRun?: boolean
  /** Delete entries expiring before this instant (epoch ms) instead of before now. */
  readonly beforeMillis?: number
  /**
   * Delete invalid entries too (reading bodies: only they show what is invalid); without it they
   * are only reported. Keys not of the index's shape are never deleted.
   */
  readonly deleteInvalid?: boolean
  /** Invalid entries, foreign keys and refused deletes listed in the report; the counts cover all. */
  readonly maxListed?: number
  /** Called after each page of the listing is judged and its deletes are done. */
  readonly onPage?: (progress: SweepProgress) => void
}

export interface SweepFailure {
  readonly path: string
  readonly reason: StoreFailureReason
  readonly detail: string
}

export interface SweepReport {
  readonly mode: SweepMode
  /** Entries expiring before this are expired. */
  readonly cutoff: string
  /** By age, an entry expires this many days after it was written (`RUN_INDEX_RETENTION_DAYS`). */
  readonly retentionDays: RetentionDays
  /** By age: entries written before this are expired. */
  readonly writtenBefore?: string
  readonly dryRun: boolean
  /** Objects listed under the prefix. */
  readonly scanned: number
  /** Entries past the cutoff: deleted, or on a dry run to be deleted. */
  readonly expired: number
  /** Entries not past the cutoff, left alone. */
  readonly kept: number
  /** Reading bodies: entries that are not valid (foreign keys included, as `UnrecognisedKey`). */
  readonly invalid: number
  readonly invalidReasons: Readonly<Partial<Record<InvalidReason, number>>>
  /** Keys under the prefix that are not of the index's shape (`<kind>/run-<runId>.json`): never deleted. */
  readonly foreign: number
  /** Paths removed; 0 on a dry run. */
  readonly deleted: number
  /** Paths kept because they were rewritten after the listing saw them. */
  readonly changed: number
  /** Paths the store refused to remove. */
  readonly failed: number
  readonly elapsedMillis: number
  readonly invalidEntries: ReadonlyArray<InvalidListing>
  readonly foreignKeys: ReadonlyArray<string>
  readonly failures: ReadonlyArray<SweepFailure>
}

/**
 * Deletes expired entries a listing page at a time: each page is judged, then its expired keys go
 * in one `deleteMany` (one batch call per page with the default sizes), each with the version the
 * listing saw, so an entry rewritten since is kept. Memory holds one page whatever the size of the
 * index. By age (the default) no body is read; with `readBodies` every entry is read and judged by
 * its `expiresAt`, and invalid entries are reported (deleted only with `deleteInvalid`).
 */
export const sweepIndex = Effect.fn("Sweep.sweepIndex")(function* (options: SweepOptions = {}) {
  const store = yield* RunIndexStore
  const { days } = yield* Retention
  const started = yield* Clock.currentTimeMillis
  const cutoffMillis = options.beforeMillis ?? started
  const mode: SweepMode = options.readBodies === true || options.deleteInvalid === true ? "bodies" : "age"
  const maxListed = options.maxListed ?? 1000
  const dryRun = options.dryRun === true
  let scanned = 0
  let expired = 0
  let kept = 0
  let invalid = 0
  let foreign = 0
  let deleted = 0
  let changed = 0
  let failed = 0
  const invalidReasons: Partial<Record<InvalidReason, number>> = {}
  const invalidEntries: Array<InvalidListing> = []
  const foreignKeys: Array<string> = []
  const failures: Array<SweepFailure> = []

  const noteForeign = (path: string) => {
    foreign += 1
    if (foreignKeys.length < maxListed) foreignKeys.push(path)
  }

  const judgeByAge = (listed: ListedKey): ReadonlyArray<DeleteTarget> => {
    if (listed.key === undefined) {
      noteForeign(listed.path)
      return []
    }
    if (expiryMillis(listed.lastModified, days) < cutoffMillis) {
      expired += 1
      return [{ path: listed.path, version: listed.version }]
    }
    kept += 1
    return []
  }

  const judgeBody = (listed: Listed): ReadonlyArray<DeleteTarget> => {
    if (listed._tag === "Valid") {
      if (Date.parse(listed.entry.expiresAt) < cutoffMillis) {
        expired += 1
        return [{ path: listed.path, version: listed.version }]
      }
      kept += 1
      return []
    }
    invalid += 1
    const { reason, detail } = listed.invalid
    invalidReasons[reason] = (invalidReasons[reason] ?? 0) + 1
    if (invalidEntries.length < maxListed) invalidEntries.push({ path: listed.path, reason, detail })
    if (listed.key === undefined) {
      noteForeign(listed.path)
      return []
    }
    return options.deleteInvalid === true ? [{ path: listed.path, version: listed.version }] : []
  }

  const deletePage = (targets: ReadonlyArray<DeleteTarget>) =>
    dryRun || targets.length === 0
      ? Effect.void
      : // Deleting is idempotent, so a batch that met throttling is simply sent again.
        Effect.map(retryTransient(store.deleteMany(targets)), (refused) => {
          deleted += targets.length - refused.length
          for (const { path, error } of refused) {
            if (error.reason === "Conflict") {
              changed += 1
              continue
            }
            failed += 1
            if (failures.length < maxListed)
              failures.push({ path, reason: error.reason, detail: error.detail })
          }
        })

  const afterPage = Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.sync(() => options.onPage?.({ seen: scanned, deleted, elapsedMillis: now - started })),
  )

  const sweepPages = <A, E>(
    pages: Stream.Stream<A, E>,
    judge: (listed: A) => ReadonlyArray<DeleteTarget>,
  ): Effect.Effect<void, E | Effect.Effect.Error<ReturnType<typeof deletePage>>> =>
    Stream.runForEachChunk(pages, (page) => {
      scanned += Chunk.size(page)
      const targets = Chunk.toReadonlyArray(page).flatMap(judge)
      return Effect.zipRight(deletePage(targets), afterPage)
    })

  yield* mode === "age"
    ? sweepPages(store.listKeys(options), judgeByAge)
    : sweepPages(store.list(options), judgeBody)

  return {
    mode,
    cutoff: timestampFromMillis(cutoffMillis),
    retentionDays: days,
    ...(mode === "age" ? { writtenBefore: timestampFromMillis(expiryMillis(cutoffMillis, -days)) } : {}),
    dryRun,
    scanned,
    expired,
    kept,
    invalid,
    invalidReasons,
    foreign,
    deleted,
    changed,
    failed,
    elapsedMillis: (yield* Clock.currentTimeMillis) - started,
    invalidEntries,
    foreignKeys,
    failures,
  } satisfies SweepReport
})
