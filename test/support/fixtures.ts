import { Schema } from "effect"
import { RequestId } from "../../src/domain/RequestId.js"
import { RunId } from "../../src/domain/RunId.js"
import { RunIndexEntry } from "../../src/domain/RunIndexEntry.js"
import type { WorkflowKind } from "../../src/domain/WorkflowKind.js"

export const runId = (value: number): RunId => Schema.decodeSync(RunId)(value)
export const requestId = (value: string): RequestId => Schema.decodeSync(RequestId)(value)

export const entry = (
  kind: WorkflowKind,
  id: number,
  owner: string,
  createdAt = "2025-01-15T10:00:00.000Z",
  expiresAt = "2025-04-15T10:00:00.000Z",
): RunIndexEntry =>
  RunIndexEntry.make({ kind, runId: runId(id), requestId: requestId(owner), createdAt, expiresAt })

/** The example of DESIGN.md §2, exactly as an existing bucket holds it. */
export const seedBody =
  '{"kind":"apply","runId":123456790,"requestId":"req_dev_ec2_abc","createdAt":"2025-01-15T10:00:00.000Z","expiresAt":"2025-04-15T10:00:00.000Z"}'
