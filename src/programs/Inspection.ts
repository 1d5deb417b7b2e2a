import { Clock, Effect, Stream } from "effect"
import type { InvalidReason } from "../domain/EntryValidation.js"
import { type WorkflowKind, workflowKinds } from "../domain/WorkflowKind.js"
import { type Listed, type ListOptions, RunIndexStore } from "../ports/RunIndexStore.js"

export interface IndexStats {
  readonly entries: number
  readonly byKind: Readonly<Record<WorkflowKind, number>>
  readonly expired: number
  readonly invalid: number
  readonly oldestCreatedAt: string | null
  readonly newestCreatedAt: string | null
}

export interface InvalidListing {
  readonly path: string
  readonly reason: InvalidReason
  readonly detail: string
}

export interface VerifyReport {
  readonly checked: number
  readonly valid: number
  readonly invalid: number
  readonly reasons: Readonly<Partial<Record<InvalidReason, number>>>
  /** The first `maxListed` invalid entries; the counts above cover all of them. */
  readonly invalidEntries: ReadonlyArray<InvalidListing>
}

export interface ScanOptions extends ListOptions {
  /** Called after each entry with the running count, for progress reports. */
  readonly onEntry?: (seen: number) => void
}

const countKinds = (): Record<WorkflowKind, number> =>
  Object.fromEntries(workflowKinds.map((kind) => [kind, 0])) as Record<WorkflowKind, number>

const scan = (options: ScanOptions) =>
  Effect.map(RunIndexStore, (store) => {
    let seen = 0
    return store
      .list(options)
      .pipe(Stream.tap(() => Effect.sync(() => options.onEntry?.(++seen)))) satisfies Stream.Stream<
      Listed,
      unknown
    >
  })

/** Entries by kind, expired and invalid counts, and the createdAt range, in one streaming pass. */
export const indexStats = Effect.fn("Inspection.indexStats")(function* (options: ScanOptions = {}) {
  const nowMillis = yield* Clock.currentTimeMillis
  const listing = yield* scan(options)
  const byKind = countKinds()
  let entries = 0
  let expired = 0
  let invalid = 0
  let oldest: string | null = null
  let newest: string | null = null
  yield* Stream.runForEach(listing, (listed) =>
    Effect.sync(() => {
      if (listed._tag === "Invalid") {
        invalid += 1
        return
      }
      const { entry } = listed
      entries += 1
      byKind[entry.kind] += 1
      if (Date.parse(entry.expiresAt) < nowMillis) expired += 1
      if (oldest === null || Date.parse(entry.createdAt) < Date.parse(oldest)) oldest = entry.createdAt
      if (newest === null || Date.parse(entry.createdAt) > Date.parse(newest)) newest = entry.createdAt
    }),
  )
  return {
    entries,
    byKind,
    expired,
    invalid,
    oldestCreatedAt: oldest,
    newestCreatedAt: newest,
  } satisfies IndexStats
})

/** Checks that every stored object decodes and matches its key; lists the first invalid ones. */
export const verifyIndex = Effect.fn("Inspection.verifyIndex")(function* (
  options: ScanOptions & { readonly maxListed?: number } = {},
) {
  const maxListed = options.maxListed ?? 1000
  const listing = yield* scan(options)
  const reasons: Partial<Record<InvalidReason, number>> = {}
  const invalidEntries: Array<InvalidListing> = []
  let checked = 0
  let invalid = 0
  yield* Stream.runForEach(listing, (listed) =>
    Effect.sync(() => {
      checked += 1
      if (listed._tag === "Valid") return
      invalid += 1
      const { reason, detail } = listed.invalid
      reasons[reason] = (reasons[reason] ?? 0) + 1
      if (invalidEntries.length < maxListed) invalidEntries.push({ path: listed.path, reason, detail })
    }),
  )
  return { checked, valid: checked - invalid, invalid, reasons, invalidEntries } satisfies VerifyReport
})
