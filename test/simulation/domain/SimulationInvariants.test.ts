import { assert, describe, it } from "@effect/vitest"
import type { Attempt, RequestDocument } from "../../../src/domain/RequestDocument.js"
import type { RequestId } from "../../../src/domain/RequestId.js"
import {
  type GroundTruth,
  type InvariantCounts,
  invariantNames,
  makeInvariantChecker,
  type RunState,
} from "../../../src/simulation/domain/SimulationInvariants.js"
import { requestId, runId } from "../../support/fixtures.js"

const completed: RunState = { status: "completed", conclusion: "success", runAttempt: 1 }

/**
 * GitHub's record: run 1000 + n was created by the dispatch of `req_<n>`'s apply attempt 1, and run
 * 1050 by nobody of ours (another actor's run, or a foreign dispatch with our identity).
 */
const truth = (overrides: Partial<GroundTruth> = {}): GroundTruth => ({
  creatorOf: (id) =>
    id > 1000 && id < 1050
      ? { requestId: requestId(`req_${id - 1000}`), kind: "apply", attempt: 1 }
      : undefined,
  run: (id) => (id >= 1000 && id < 1100 ? completed : undefined),
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

const nothing = only("duplicateClaims", 0)

describe("simulation invariants", () => {
  it("a consistent end state has no violation", () => {
    const checker = makeInvariantChecker(truth())
    checker.addDocument(requestId("req_1"), document(attempt({ runId: runId(1001) })))
    checker.addDocument(requestId("req_2"), document(attempt({ runId: runId(1002) })))
    checker.addIndexEntry("apply", runId(1001), requestId("req_1"))
    checker.addPatch({ requestId: requestId("req_2"), kind: "apply", attempt: 1, runId: runId(1002) })
    checker.addDelivery("sim-1", true)
    assert.deepStrictEqual(checker.result().violations, nothing)
  })

  it("two requests holding one run is a duplicate claim, and names both", () => {
    const result = checked([
      [requestId("req_1"), document(attempt({ runId: runId(1001) }))],
      [requestId("req_2"), document(attempt({ runId: runId(1001) }))],
    ])
    assert.strictEqual(result.violations.duplicateClaims, 1)
    assert.deepStrictEqual(result.examples.duplicateClaims, ["apply run 1001 is held by req_1 and req_2"])
  })

  it("an attempt holding a run another dispatch created is a swapped run, whatever the mode", () => {
    const result = checked([[requestId("req_1"), document(attempt({ runId: runId(1002) }))]])
    assert.deepStrictEqual(result.violations, only("swappedRuns"))
    assert.deepStrictEqual(result.examples.swappedRuns, [
      "req_1 apply attempt 1 holds run 1002, created by req_2 apply attempt 1",
    ])
  })

  it("an attempt holding a run no request dispatched, or its own request's run of another attempt, is swapped", () => {
    const stranger = checked([[requestId("req_1"), document(attempt({ runId: runId(1050) }))]])
    assert.deepStrictEqual(stranger.violations, only("swappedRuns"))
    assert.match(stranger.examples.swappedRuns[0] ?? "", /created by no request's dispatch$/)
    const secondAttempt = checked([
      [
        requestId("req_1"),
        document(
          attempt({ status: "queued", conclusion: null, dispatchError: "x" }),
          attempt({ attempt: 2, runId: runId(1001) }),
        ),
      ],
    ])
    assert.deepStrictEqual(secondAttempt.violations, only("swappedRuns"))
  })

  it("an index entry naming a request whose dispatch did not create the run is misattributed", () => {
    const checker = makeInvariantChecker(truth())
    checker.addIndexEntry("apply", runId(1001), requestId("req_1"))
    checker.addIndexEntry("apply", runId(1001), requestId("req_2"))
    checker.addIndexEntry("apply", runId(1050), requestId("req_3"))
    checker.addIndexEntry("plan", runId(1004), requestId("req_4"))
    const result = checker.result()
    assert.deepStrictEqual(result.violations, only("misattributedIndexEntries", 3))
    assert.deepStrictEqual(result.examples.misattributedIndexEntries, [
      "the index gives apply run 1001 to req_2; it was created by req_1 apply attempt 1",
      "the index gives apply run 1050 to req_3; it was created by no request's dispatch",
      "the index gives plan run 1004 to req_4; it was created by req_4 apply attempt 1",
    ])
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

  it("a patch is wrong unless GitHub created its run for that very attempt, whatever the index says", () => {
    // The index may name req_2 for run 1001 (a wrong claim): patching req_2 is still wrong.
    const checker = makeInvariantChecker(truth())
    checker.addPatch({ requestId: requestId("req_1"), kind: "apply", attempt: 1, runId: runId(1001) })
    checker.addPatch({ requestId: requestId("req_2"), kind: "apply", attempt: 1, runId: runId(1001) })
    checker.addPatch({ requestId: requestId("req_3"), kind: "apply", attempt: 2, runId: runId(1003) })
    checker.addPatch({ requestId: requestId("req_4"), kind: "apply", attempt: 1, runId: runId(1050) })
    checker.addPatch({ requestId: requestId("req_5"), kind: "apply", attempt: 1, runId: undefined })
    const result = checker.result()
    assert.deepStrictEqual(result.violations, only("wrongRequestPatches", 4))
    assert.strictEqual(
      result.examples.wrongRequestPatches[0],
      "req_2 apply attempt 1 was patched for run 1001, created by req_1 apply attempt 1",
    )
  })

  it("a delivery neither processed nor parked is lost", () => {
    const checker = makeInvariantChecker(truth())
    checker.addDelivery("sim-1", true)
    checker.addDelivery("sim-2", false)
    const result = checker.result()
    assert.deepStrictEqual(result.violations, only("lostDeliveries"))
    assert.deepStrictEqual(result.examples.lostDeliveries, ["delivery sim-2 is neither processed nor parked"])
  })
})
