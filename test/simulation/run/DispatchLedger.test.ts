import { assert, describe, it } from "@effect/vitest"
import { Option, Schema } from "effect"
import type { RequestDocument } from "../../../src/domain/RequestDocument.js"
import { RepositoryName } from "../../../src/domain/WorkflowRun.js"
import type { DispatchRecord } from "../../../src/simulation/adapters/github/GitHubSimulator.js"
import { DispatchLedger } from "../../../src/simulation/run/DispatchLedger.js"
import { requestId, runId } from "../../support/fixtures.js"

const repository = Schema.decodeSync(RepositoryName)("acme/infra")

const withAttempts = (currentAttempt: number): RequestDocument => ({
  version: currentAttempt,
  runs: { apply: { currentAttempt, attempts: [] } },
})

const record = (request: string, run: number | undefined): DispatchRecord => ({
  request: { repository, workflow: "apply.yml", ref: "main", inputs: { request_id: request } },
  at: 0,
  runId: run === undefined ? Option.none() : Option.some(runId(run)),
  failure: Option.none(),
})

const kindOf = (workflow: string) => (workflow === "apply.yml" ? ("apply" as const) : undefined)

describe("dispatch ledger", () => {
  it("ties each run to the attempt whose call created it, past an attempt that never reached GitHub and a refused call", () => {
    const ledger = new DispatchLedger()
    const a = requestId("req_a")
    const b = requestId("req_b")
    // req_a attempt 1 failed before its call; attempt 2 called and created run 11.
    ledger.noteWritten(a, withAttempts(1))
    ledger.noteWritten(a, withAttempts(2))
    ledger.noteCall(a, "apply")
    // req_b attempt 1 was refused by GitHub (no run); attempt 2 created run 12.
    ledger.noteWritten(b, withAttempts(1))
    ledger.noteCall(b, "apply")
    ledger.noteWritten(b, withAttempts(2))
    ledger.noteCall(b, "apply")
    const creators = ledger.creators(
      [record("req_b", undefined), record("req_a", 11), record("req_b", 12)],
      kindOf,
    )
    assert.deepStrictEqual(
      [...creators],
      [
        [runId(11), { requestId: a, kind: "apply", attempt: 2 }],
        [runId(12), { requestId: b, kind: "apply", attempt: 2 }],
      ],
    )
  })

  it("a run from a call with no attempt written before it, or of an unknown workflow, has no creator", () => {
    const ledger = new DispatchLedger()
    ledger.noteCall("req_c", "apply")
    const creators = ledger.creators(
      [
        record("req_c", 13),
        { ...record("req_c", 14), request: { ...record("req_c", 14).request, workflow: "other.yml" } },
      ],
      kindOf,
    )
    assert.strictEqual(creators.size, 0)
  })
})
