import { Clock, Effect, Metric } from "effect"
import type { RequestId } from "../domain/RequestId.js"
import type { RunId } from "../domain/RunId.js"
import { makeEntry } from "../domain/RunIndexEntry.js"
import type { WorkflowKind } from "../domain/WorkflowKind.js"
import { Retention } from "../ports/Retention.js"
import { type Claim, RunIndexStore } from "../ports/RunIndexStore.js"
import * as Metrics from "./Metrics.js"

export interface RunMapping {
  readonly kind: WorkflowKind
  readonly runId: RunId
  readonly requestId: RequestId
}

const newEntry = Effect.fn("RunIndex.newEntry")(function* (mapping: RunMapping) {
  const nowMillis = yield* Clock.currentTimeMillis
  const retention = yield* Retention
  return makeEntry({ ...mapping, nowMillis, retentionDays: retention.days })
})

/** Writes the mapping, replacing any entry for the run: the seed's semantics. Prefer `claimRun`. */
export const putRunIndex = Effect.fn("RunIndex.putRunIndex")(function* (mapping: RunMapping) {
  const store = yield* RunIndexStore
  const entry = yield* newEntry(mapping)
  yield* store.put(entry)
  return entry
})

const claimResults = {
  Claimed: "won",
  AlreadyYours: "already_yours",
  OwnedByOther: "lost",
  Blocked: "blocked",
} as const satisfies Record<Claim["_tag"], keyof typeof Metrics.claims>

/** Assigns the run to the request unless another request already holds it. */
export const claimRun = Effect.fn("RunIndex.claimRun")(function* (mapping: RunMapping) {
  const store = yield* RunIndexStore
  const entry = yield* newEntry(mapping)
  const claim = yield* store.claim(entry)
  yield* Metric.increment(Metrics.claims[claimResults[claim._tag]])
  return claim
})

/** The entry for a run: found, missing, or invalid with its reason. */
export const getRequestIdByRunId = Effect.fn("RunIndex.getRequestIdByRunId")(function* (
  kind: WorkflowKind,
  runId: RunId,
) {
  const store = yield* RunIndexStore
  return yield* store.get({ kind, runId })
})
