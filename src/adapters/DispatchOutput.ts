import { Option } from "effect"
import type { DispatchRunResult } from "../programs/DispatchRun.js"

/** The JSON shape of a dispatch result, shared by the CLI's `--json` and the HTTP API. */
export const dispatchResultJson = (result: DispatchRunResult) => ({
  requestId: result.requestId,
  kind: result.kind,
  attempt: result.attempt,
  runId: Option.getOrNull(result.runId),
  url: Option.getOrNull(result.url),
  source: result.source,
})
