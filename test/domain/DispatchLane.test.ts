import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc, Option, Schema } from "effect"
import { titleCarriesToken } from "../../src/domain/CandidateSelection.js"
import {
  dispatchLanesPrefix,
  emptyLaneRecord,
  keySegment,
  type LaneHolder,
  type LaneRecord,
  laneOf,
  lanePath,
  released,
  waitingDispatchFor,
} from "../../src/domain/DispatchLane.js"
import { RequestId } from "../../src/domain/RequestId.js"
import { RepositoryName } from "../../src/domain/WorkflowRun.js"
import { runId } from "../support/fixtures.js"

const requestId = Schema.decodeSync(RequestId)
const repository = Schema.decodeSync(RepositoryName)("acme/infra")
const now = 1_000_000
const tolerance = 2_000

const holder: LaneHolder = {
  token: "t1",
  requestId: requestId("req_holder"),
  kind: "destroy",
  attempt: 1,
  actor: "run-index-bot",
  acquiredAt: now - 10_000,
  expiresAt: now + 60_000,
  awaiting: false,
}
const held: LaneRecord = {
  holder,
  recent: [{ requestId: requestId("req_before"), kind: "destroy", attempt: 1, runId: runId(5) }],
  rendersRequestId: false,
}

const runs = fc.record({
  event: fc.constantFrom("workflow_dispatch", "push", "schedule"),
  actor: fc.constantFrom<string | null>("run-index-bot", "someone-else", null),
  triggeringActor: fc.constantFrom<string | null>("run-index-bot", "someone-else", null),
  createdOffset: fc.integer({ min: -30_000, max: 30_000 }),
  title: fc.constantFrom("Destroy", "Destroy req_holder", "Destroy req_before", "req_before req_holder"),
})

const laneRun = (run: typeof runs extends fc.Arbitrary<infer A> ? A : never) => ({
  event: run.event,
  actor: run.actor,
  triggeringActor: run.triggeringActor,
  createdAt: holder.acquiredAt + run.createdOffset,
  titleCarries: (id: RequestId) => titleCarriesToken(run.title, id),
})

describe("dispatch lanes", () => {
  it.prop(
    "a key segment is one safe path segment, and distinct names stay distinct",
    [fc.string(), fc.string()],
    ([left, right]) => {
      assert.match(keySegment(left || "x"), /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/)
      if (left !== right) assert.notStrictEqual(keySegment(left), keySegment(right))
    },
  )

  it.prop(
    "a lane's path is four segments under the lanes prefix, never under the index",
    [fc.string({ minLength: 1 }), fc.string({ minLength: 1 })],
    ([workflow, branch]) => {
      const path = lanePath(laneOf(repository, workflow, branch))
      assert.isTrue(path.startsWith(dispatchLanesPrefix))
      assert.isFalse(path.startsWith("webhooks/github/run-index/"))
      assert.strictEqual(path.slice(dispatchLanesPrefix.length).split("/").length, 4)
    },
  )

  it("laneOf names the workflow by its file and the ref by its branch", () => {
    assert.deepStrictEqual(laneOf(repository, ".github/workflows/apply.yml", "refs/heads/main"), {
      repository,
      workflow: "apply.yml",
      branch: "main",
    })
  })

  it.prop("a run goes to the waiting dispatch only when it can be its run", [runs], ([run]) => {
    const waiting = waitingDispatchFor(held, laneRun(run), now, tolerance)
    const fits =
      run.event === "workflow_dispatch" &&
      run.actor === "run-index-bot" &&
      run.triggeringActor !== "someone-else" &&
      run.createdOffset >= -tolerance &&
      !titleCarriesToken(run.title, requestId("req_before"))
    assert.strictEqual(Option.isSome(waiting), fits)
  })

  it.prop("no run goes to a hold that has expired, or to a lane nobody holds", [runs], ([run]) => {
    assert.isTrue(
      Option.isNone(
        waitingDispatchFor({ ...held, holder: { ...holder, expiresAt: now } }, laneRun(run), now, tolerance),
      ),
    )
    assert.isTrue(Option.isNone(waitingDispatchFor(emptyLaneRecord, laneRun(run), now, tolerance)))
  })

  it.prop(
    "once the lane's workflow is known to render ids, only a run titled with the holder's id goes to it",
    [runs],
    ([run]) => {
      const waiting = waitingDispatchFor({ ...held, rendersRequestId: true }, laneRun(run), now, tolerance)
      if (Option.isSome(waiting)) assert.isTrue(titleCarriesToken(run.title, holder.requestId))
    },
  )

  it("a release frees the lane, remembers the dispatch first and keeps at most eight", () => {
    let record: LaneRecord = held
    for (let index = 0; index < 10; index++) {
      const next = { ...holder, requestId: requestId(`req_${index}`) }
      record = released({ ...record, holder: next }, next, {
        runId: runId(100 + index),
        rendersRequestId: false,
      })
    }
    assert.isNull(record.holder)
    assert.strictEqual(record.recent.length, 8)
    assert.strictEqual(record.recent[0]?.requestId, requestId("req_9"))
  })
})
