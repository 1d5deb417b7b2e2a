import { Option, Schema } from "effect"
import { RunId, RunIdFromString } from "./RunId.js"
import { WorkflowKind } from "./WorkflowKind.js"

/** Every index entry lives below this prefix; a bucket lifecycle rule on it expires them. */
export const runIndexPrefix = "webhooks/github/run-index/"

/** Where one entry lives: its kind and run id. */
export const RunIndexKey = Schema.Struct({ kind: WorkflowKind, runId: RunId })
export type RunIndexKey = typeof RunIndexKey.Type

export const kindPrefix = (kind: WorkflowKind): string => `${runIndexPrefix}${kind}/`

/** `webhooks/github/run-index/<kind>/run-<runId>.json` */
export const keyPath = (key: RunIndexKey): string => `${kindPrefix(key.kind)}run-${key.runId}.json`

const keyPattern = /^webhooks\/github\/run-index\/([^/]+)\/run-([^/]+)\.json$/
const decodeKind = Schema.decodeUnknownOption(WorkflowKind)
const decodeRunId = Schema.decodeUnknownOption(RunIdFromString)

/** The inverse of `keyPath`: `None` for any path that `keyPath` could not have produced. */
export const parseKeyPath = (path: string): Option.Option<RunIndexKey> => {
  const match = keyPattern.exec(path)
  if (match === null) return Option.none()
  return Option.all({ kind: decodeKind(match[1]), runId: decodeRunId(match[2]) })
}
