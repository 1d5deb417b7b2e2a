import { Schema } from "effect"
import { RequestId } from "./RequestId.js"
import { expiryMillis, type RetentionDays } from "./Retention.js"
import { RunId } from "./RunId.js"
import { Timestamp, timestampFromMillis } from "./Timestamp.js"
import { WorkflowKind } from "./WorkflowKind.js"

/**
 * One run → request mapping. The field order here is the field order on disk (DESIGN.md §2):
 * `{"kind":…,"runId":…,"requestId":…,"createdAt":…,"expiresAt":…}`.
 */
export class RunIndexEntry extends Schema.Class<RunIndexEntry>("RunIndexEntry")({
  kind: WorkflowKind,
  runId: RunId,
  requestId: RequestId,
  createdAt: Timestamp,
  expiresAt: Timestamp,
}) {}

/** The compact JSON that existing buckets hold, byte for byte. */
export const encodeEntry = (entry: RunIndexEntry): string =>
  JSON.stringify({
    kind: entry.kind,
    runId: entry.runId,
    requestId: entry.requestId,
    createdAt: entry.createdAt,
    expiresAt: entry.expiresAt,
  })

export const makeEntry = (input: {
  readonly kind: WorkflowKind
  readonly runId: RunId
  readonly requestId: RequestId
  readonly nowMillis: number
  readonly retentionDays: RetentionDays
}): RunIndexEntry =>
  RunIndexEntry.make({
    kind: input.kind,
    runId: input.runId,
    requestId: input.requestId,
    createdAt: timestampFromMillis(input.nowMillis),
    expiresAt: timestampFromMillis(expiryMillis(input.nowMillis, input.retentionDays)),
  })
