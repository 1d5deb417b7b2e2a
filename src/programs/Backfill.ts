import { Effect, Stream } from "effect"
import type { InvalidReason } from "../domain/EntryValidation.js"
import { attemptsOf } from "../domain/RequestDocument.js"
import type { RequestId } from "../domain/RequestId.js"
import type { RunId } from "../domain/RunId.js"
import { type WorkflowKind, workflowKinds } from "../domain/WorkflowKind.js"
import { RequestStore } from "../ports/RequestStore.js"
import { type ListOptions, RunIndexStore } from "../ports/RunIndexStore.js"
import { mapPagesEffect } from "./Pages.js"
import { retryTransient } from "./RequestUpdates.js"
import { claimRun } from "./RunIndex.js"

export interface BackfillOptions extends ListOptions {
  /** Look everything up, claim nothing. */
  readonly dryRun?: boolean
  /** Problems listed in the report; the counts cover all of them. */
  readonly maxListed?: number
  /** Called after each request document with the running count, for progress reports. */
  readonly onRequest?: (seen: number) => void
}

/** A run held by an attempt of `requestId` whose entry names `owner`: left as it is, for an operator. */
export interface BackfillConflict {
  readonly kind: WorkflowKind
  readonly runId: RunId
  readonly requestId: RequestId
  readonly owner: RequestId
}

/** A run whose slot holds an invalid entry: nothing is claimed over it. */
export interface BackfillBlocked {
  readonly kind: WorkflowKind
  readonly runId: RunId
  readonly requestId: RequestId
  readonly reason: InvalidReason
  readonly detail: string
}

export interface BackfillReport {
  readonly dryRun: boolean
  readonly requests: number
  /** Documents under `requests/` that are not request documents; their attempts cannot be seen. */
  readonly unreadable: number
  readonly attemptsWithRunId: number
  /** Attempts whose entry already names their request. */
  readonly alreadyIndexed: number
  /** Entries created; on a dry run, entries that would be (a dry run cannot see two requests racing for one missing entry). */
  readonly claimed: number
  readonly conflicts: number
  readonly blocked: number
  readonly conflictList: ReadonlyArray<BackfillConflict>
  readonly blockedList: ReadonlyArray<BackfillBlocked>
  readonly unreadableList: ReadonlyArray<{ readonly requestId: RequestId; readonly detail: string }>
}

/** Request documents worked on at once. */
const backfillConcurrency = 8

/**
 * The migration step for deployments that predate the index: for every request attempt that holds
 * a run id with no entry, `claim` one. An entry that names another request is a conflict, reported
 * with both request ids and never overwritten. Streams the request listing a page at a time.
 */
export const backfillIndex = Effect.fn("Backfill.backfillIndex")(function* (options: BackfillOptions = {}) {
  const index = yield* RunIndexStore
  const requests = yield* RequestStore
  const maxListed = options.maxListed ?? 1000
  const dryRun = options.dryRun === true
  const kinds = options.kind === undefined ? workflowKinds : [options.kind]
  let requestCount = 0
  let attemptsWithRunId = 0
  let alreadyIndexed = 0
  let claimed = 0
  const conflictList: Array<BackfillConflict> = []
  const blockedList: Array<BackfillBlocked> = []
  const unreadableList: Array<{ readonly requestId: RequestId; readonly detail: string }> = []
  let conflicts = 0
  let blocked = 0
  let unreadable = 0

  const conflict = (found: BackfillConflict) => {
    conflicts += 1
    if (conflictList.length < maxListed) conflictList.push(found)
  }
  const block = (found: BackfillBlocked) => {
    blocked += 1
    if (blockedList.length < maxListed) blockedList.push(found)
  }

  /** Looks first (one read when the entry exists, the common case on a re-run), then claims. */
  const backfillRun = (requestId: RequestId, kind: WorkflowKind, runId: RunId) =>
    Effect.gen(function* () {
      attemptsWithRunId += 1
      const found = yield* retryTransient(index.get({ kind, runId }))
      switch (found._tag) {
        case "Found":
          if (found.entry.requestId === requestId) alreadyIndexed += 1
          else conflict({ kind, runId, requestId, owner: found.entry.requestId })
          return
        case "Invalid":
          return block({ kind, runId, requestId, reason: found.invalid.reason, detail: found.invalid.detail })
        case "Missing":
          break
      }
      if (dryRun) {
        claimed += 1
        return
      }
      const outcome = yield* retryTransient(claimRun({ kind, runId, requestId }))
      switch (outcome._tag) {
        case "Claimed":
          claimed += 1
          return
        case "AlreadyYours":
          alreadyIndexed += 1
          return
        case "OwnedByOther":
          return conflict({ kind, runId, requestId, owner: outcome.owner })
        case "Blocked":
          return block({
            kind,
            runId,
            requestId,
            reason: outcome.invalid.reason,
            detail: outcome.invalid.detail,
          })
      }
    })

  const backfillRequest = (requestId: RequestId) =>
    Effect.gen(function* () {
      const read = yield* retryTransient(requests.get(requestId))
      requestCount += 1
      options.onRequest?.(requestCount)
      if (read._tag === "Missing") return
      if (read._tag === "Invalid") {
        unreadable += 1
        if (unreadableList.length < maxListed) unreadableList.push({ requestId, detail: read.detail })
        return
      }
      for (const kind of kinds) {
        for (const attempt of attemptsOf(read.document, kind)) {
          if (attempt.runId !== undefined) yield* backfillRun(requestId, kind, attempt.runId)
        }
      }
    })

  yield* requests.list().pipe(mapPagesEffect(backfillRequest, backfillConcurrency), Stream.runDrain)
  return {
    dryRun,
    requests: requestCount,
    unreadable,
    attemptsWithRunId,
    alreadyIndexed,
    claimed,
    conflicts,
    blocked,
    conflictList,
    blockedList,
    unreadableList,
  } satisfies BackfillReport
})
