import { assert, describe, it } from "@effect/vitest"
import type { Attempt, RequestDocument } from "../../src/domain/RequestDocument.js"
import type { RequestId } from "../../src/domain/RequestId.js"
import {
  type GroundTruth,
  type InvariantCounts,
  invariantNames,
  makeInvariantChecker,
  type RunState,
} from "../../src/domain/SimulationInvariants.js"
import { requestId, runId } from "../support/fixtures.js"

const completed: RunState = { status: "completed", conclusion: "success", runAttempt: 1 }

/** Request `owner`'s apply attempt 1 was dispatched and created run 1000 + its number. */
const truth = (overrides: Partial<GroundTruth> = {}): GroundTruth => ({
  ownRun: (owner) => runId(1000 + Number(owner.replace(/\D/g, ""))),
  guaranteed: () => true,
  run: (id) => (id >= 1000 && id < 1100 ? completed : undefined),
  indexOwner: (_kind, id) => requestId(`req_${id - 1000}`),
  ...overrides,
})

const attempt = (fields: Partial<Attempt> = {}): Attempt => ({
  attempt: 1,
  status: "completed",
  conclusion: "success",
  runAttempt: 1,
  dispatchedAt: "2026-03-02T00:00:00.000Z",
  ...fields,
})

const document = (...attempts: ReadonlyArray<Attempt>): RequestDocument => ({
  version: 3,
  runs: { apply: { currentAttempt: attempts.length, attempts } },
})

const checked = (
  documents: ReadonlyArray<readonly [RequestId, RequestDocument]>,
  overrides?: Partial<GroundTruth>,
) => {
  const checker = makeInvariantChecker(truth(overrides))
  for (const [id, each] of documents) checker.addDocument(id, each)
  return checker.result()
}

const only = (name: (typeof invariantNames)[number], count = 1): InvariantCounts =>
  Object.fromEntries(invariantNames.map((each) => [each, each === name ? count : 0])) as InvariantCounts

describe("simulation invariants", () => {
  it("a consistent end state has no violation", () => {
    const result = checked([
      [requestId("req_1"), document(attempt({ runId: runId(1001) }))],
      [requestId("req_2"), document(attempt({ runId: runId(1002) }))],
    ])
    assert.deepStrictEqual(result.violations, only("duplicateClaims", 0))
  })

  it("two requests holding one run is a duplicate claim, and names both", () => {
    const result = checked([
      [requestId("req_1"), document(attempt({ runId: runId(1001) }))],
      [requestId("req_2"), document(attempt({ runId: runId(1001) }))],
    ])
    assert.strictEqual(result.violations.duplicateClaims, 1)
    assert.deepStrictEqual(result.examples.duplicateClaims, ["apply run 1001 is held by req_1 and req_2"])
  })

  it("an attempt holding another dispatch's run is swapped, failing only when it was entitled to its own", () => {
    const documents = [[requestId("req_1"), document(attempt({ runId: runId(1002) }))]] as const
    assert.deepStrictEqual(checked(documents).failing, only("swappedRuns"))
    const notEntitled = checked(documents, { guaranteed: () => false })
    assert.deepStrictEqual(notEntitled.violations, only("swappedRuns"))
    assert.deepStrictEqual(notEntitled.failing, only("swappedRuns", 0))
  })

  it("an attempt whose status, conclusion or run attempt differs from GitHub's is a state mismatch", () => {
    for (const fields of [{ status: "in_progress" as const }, { conclusion: "failure" }, { runAttempt: 2 }]) {
      const result = checked([[requestId("req_1"), document(attempt({ runId: runId(1001), ...fields }))]])
      assert.deepStrictEqual(result.violations, only("stateMismatches"), JSON.stringify(fields))
    }
  })

  it("an unfinished attempt with no run and no note is stuck; a note or a dispatch failure is a visible reason", () => {
    const result = checked([
      [requestId("req_1"), document(attempt({ status: "queued", conclusion: null }))],
      [
        requestId("req_2"),
        document(attempt({ status: "queued", conclusion: null, dispatchError: "no run found" })),
      ],
      [requestId("req_3"), document(attempt({ conclusion: "dispatch_failed" }))],
    ])
    assert.deepStrictEqual(result.violations, only("stuckAttempts"))
    assert.match(result.examples.stuckAttempts[0] ?? "", /^req_1 apply attempt 1 is queued/)
  })

  it("a patch to a request that does not own the run is a wrong-request patch; a delivery neither processed nor parked is lost", () => {
    const checker = makeInvariantChecker(truth())
    checker.addPatch({ requestId: requestId("req_1"), kind: "apply", attempt: 1, runId: runId(1001) })
    checker.addPatch({ requestId: requestId("req_2"), kind: "apply", attempt: 1, runId: runId(1001) })
    checker.addPatch({ requestId: requestId("req_3"), kind: "apply", attempt: 1, runId: undefined })
    checker.addDelivery("sim-1", true)
    checker.addDelivery("sim-2", false)
    const result = checker.result()
    assert.deepStrictEqual(result.violations, { ...only("wrongRequestPatches", 2), lostDeliveries: 1 })
    assert.deepStrictEqual(result.examples.lostDeliveries, ["delivery sim-2 is neither processed nor parked"])
  })
})
