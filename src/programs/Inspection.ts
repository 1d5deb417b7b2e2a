import { Clock, Effect, Schema, Stream } from "effect"
import type { InvalidReason } from "../domain/EntryValidation.js"
import { type Attempt, attemptsOf } from "../domain/RequestDocument.js"
import type { RequestId } from "../domain/RequestId.js"
import type { RunId } from "../domain/RunId.js"
import type { RunIndexEntry } from "../domain/RunIndexEntry.js"
import { type WorkflowKind, workflowKinds } from "../domain/WorkflowKind.js"
import { RequestStore } from "../ports/RequestStore.js"
import { type Listed, type ListOptions, RunIndexStore } from "../ports/RunIndexStore.js"
import { mapPagesEffect } from "./Pages.js"
import { retryTransient } from "./RequestUpdates.js"

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
  const stats: IndexStats = {
    entries,
    byKind,
    expired,
    invalid,
    oldestCreatedAt: oldest,
    newestCreatedAt: newest,
  }
  return stats
})

/** Counts listed objects into a `VerifyReport`, one at a time. */
const indexTally = (maxListed: number) => {
  const reasons: Partial<Record<InvalidReason, number>> = {}
  const invalidEntries: Array<InvalidListing> = []
  let checked = 0
  let invalid = 0
  return {
    add: (listed: Listed) => {
      checked += 1
      if (listed._tag === "Valid") return
      invalid += 1
      const { reason, detail } = listed.invalid
      reasons[reason] = (reasons[reason] ?? 0) + 1
      if (invalidEntries.length < maxListed) invalidEntries.push({ path: listed.path, reason, detail })
    },
    report: (): VerifyReport => ({ checked, valid: checked - invalid, invalid, reasons, invalidEntries }),
  }
}

export interface VerifyOptions extends ScanOptions {
  /** Problems listed in the report; the counts cover all of them. */
  readonly maxListed?: number
}

/** Checks that every stored object decodes and matches its key; lists the first invalid ones. */
export const verifyIndex = Effect.fn("Inspection.verifyIndex")(function* (options: VerifyOptions = {}) {
  const listing = yield* scan(options)
  const tally = indexTally(options.maxListed ?? 1000)
  yield* Stream.runForEach(listing, (listed) => Effect.sync(() => tally.add(listed)))
  return tally.report()
})

/**
 * Each way the index and the request documents can disagree. From an entry: its request has no
 * document (`RequestMissing`), an unreadable one (`RequestUnreadable`), or no attempt of that kind
 * holding the run (`NoAttemptHoldsRun`). From an attempt holding a run: the run has no entry
 * (`EntryMissing`), an entry naming another request (`EntryOwnedByOther`), or an invalid one
 * (`EntryInvalid`). From the request documents themselves: one that cannot be read
 * (`DocumentUnreadable`), whose runs can therefore be checked by nothing.
 */
export const CrossCheckProblemKind = Schema.Literal(
  "RequestMissing",
  "RequestUnreadable",
  "NoAttemptHoldsRun",
  "EntryMissing",
  "EntryOwnedByOther",
  "EntryInvalid",
  "DocumentUnreadable",
)
export type CrossCheckProblemKind = typeof CrossCheckProblemKind.Type

export interface CrossCheckProblem {
  readonly problem: CrossCheckProblemKind
  /** The run concerned; absent for `DocumentUnreadable`. */
  readonly kind?: WorkflowKind
  readonly runId?: RunId
  /** The request the entry names, or whose attempt holds the run. */
  readonly requestId: RequestId
  readonly detail: string
}

export interface CrossCheckReport {
  /** Valid entries whose request was looked up. */
  readonly entriesChecked: number
  /** Request documents read. */
  readonly requestsChecked: number
  /** Attempts holding a run id whose entry was looked up. */
  readonly attemptsChecked: number
  readonly problems: number
  readonly byProblem: Readonly<Partial<Record<CrossCheckProblemKind, number>>>
  /** The first `maxListed` problems; the counts above cover all of them. */
  readonly problemList: ReadonlyArray<CrossCheckProblem>
}

export interface VerifyWithRequestsReport {
  readonly index: VerifyReport
  readonly requests: CrossCheckReport
}

export interface VerifyWithRequestsOptions extends VerifyOptions {
  /** Called after each request document with the running count, for progress reports. */
  readonly onRequest?: (seen: number) => void
}

/** Lookups in flight while cross-checking: as many as the listing keeps. */
const crossCheckConcurrency = 16

/**
 * `verifyIndex`, and both directions between the index and the request documents: every valid
 * entry's request exists and has an attempt of that kind holding that run, and every attempt
 * holding a run has the entry naming its request. Two streaming passes: the index, then the requests.
 */
export const verifyIndexAndRequests = Effect.fn("Inspection.verifyIndexAndRequests")(function* (
  options: VerifyWithRequestsOptions = {},
) {
  const maxListed = options.maxListed ?? 1000
  const index = yield* RunIndexStore
  const requests = yield* RequestStore
  const tally = indexTally(maxListed)
  const byProblem: Partial<Record<CrossCheckProblemKind, number>> = {}
  const problemList: Array<CrossCheckProblem> = []
  let problems = 0
  let entriesChecked = 0
  let requestsChecked = 0
  let attemptsChecked = 0
  const report = (problem: CrossCheckProblem) =>
    Effect.sync(() => {
      problems += 1
      byProblem[problem.problem] = (byProblem[problem.problem] ?? 0) + 1
      if (problemList.length < maxListed) problemList.push(problem)
    })

  const checkEntry = (entry: RunIndexEntry) =>
    Effect.gen(function* () {
      const { kind, runId, requestId } = entry
      const read = yield* retryTransient(requests.get(requestId))
      entriesChecked += 1
      switch (read._tag) {
        case "Missing":
          return yield* report({
            problem: "RequestMissing",
            kind,
            runId,
            requestId,
            detail: `${kind} run ${runId} is indexed to ${requestId}, which has no request document`,
          })
        case "Invalid":
          return yield* report({
            problem: "RequestUnreadable",
            kind,
            runId,
            requestId,
            detail: `${kind} run ${runId} is indexed to ${requestId}, whose document is unreadable: ${read.detail}`,
          })
        case "Found":
          if (attemptsOf(read.document, kind).some((attempt) => attempt.runId === runId)) return
          return yield* report({
            problem: "NoAttemptHoldsRun",
            kind,
            runId,
            requestId,
            detail: `${kind} run ${runId} is indexed to ${requestId}, but none of its ${kind} attempts holds that run`,
          })
      }
    })

  const checkAttempt = (requestId: RequestId, kind: WorkflowKind, attempt: Attempt, runId: RunId) =>
    Effect.gen(function* () {
      attemptsChecked += 1
      const found = yield* retryTransient(index.get({ kind, runId }))
      const subject = `${requestId} ${kind} attempt ${attempt.attempt} holds run ${runId}`
      switch (found._tag) {
        case "Found":
          if (found.entry.requestId === requestId) return
          return yield* report({
            problem: "EntryOwnedByOther",
            kind,
            runId,
            requestId,
            detail: `${subject}, but the entry names ${found.entry.requestId}`,
          })
        case "Missing":
          return yield* report({
            problem: "EntryMissing",
            kind,
            runId,
            requestId,
            detail: `${subject}, which has no entry`,
          })
        case "Invalid":
          return yield* report({
            problem: "EntryInvalid",
            kind,
            runId,
            requestId,
            detail: `${subject}, whose entry is invalid (${found.invalid.reason}: ${found.invalid.detail})`,
          })
      }
    })

  const checkRequest = (requestId: RequestId) =>
    Effect.gen(function* () {
      const read = yield* retryTransient(requests.get(requestId))
      requestsChecked += 1
      options.onRequest?.(requestsChecked)
      if (read._tag === "Invalid")
        return yield* report({
          problem: "DocumentUnreadable",
          requestId,
          detail: `requests/${requestId}.json cannot be read, so none of its runs can be checked: ${read.detail}`,
        })
      if (read._tag !== "Found") return
      const kinds = options.kind === undefined ? workflowKinds : [options.kind]
      for (const kind of kinds) {
        for (const attempt of attemptsOf(read.document, kind)) {
          if (attempt.runId !== undefined) yield* checkAttempt(requestId, kind, attempt, attempt.runId)
        }
      }
    })

  yield* (yield* scan(options)).pipe(
    Stream.tap((listed) => Effect.sync(() => tally.add(listed))),
    mapPagesEffect(
      (listed: Listed) => (listed._tag === "Valid" ? checkEntry(listed.entry) : Effect.void),
      crossCheckConcurrency,
    ),
    Stream.runDrain,
  )
  yield* requests.list().pipe(mapPagesEffect(checkRequest, crossCheckConcurrency), Stream.runDrain)
  return {
    index: tally.report(),
    requests: { entriesChecked, requestsChecked, attemptsChecked, problems, byProblem, problemList },
  } satisfies VerifyWithRequestsReport
})
