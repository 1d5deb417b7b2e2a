import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc, Schema } from "effect"
import { classifyRun } from "../../src/domain/Classification.js"
import type { Attempt, RequestDocument } from "../../src/domain/RequestDocument.js"
import { applyRunEvent, type RunEvent } from "../../src/domain/RunEventPatch.js"
import { RunId } from "../../src/domain/RunId.js"

const runId = (value: number) => Schema.decodeSync(RunId)(value)
const created = Date.parse("2026-01-01T12:00:00.000Z")
const tolerance = 5_000

const attempt = (number: number, overrides: Partial<Attempt> = {}): Attempt => ({
  attempt: number,
  status: "queued",
  dispatchedAt: new Date(created - 1_000).toISOString(),
  repository: "acme/infra",
  ...overrides,
})
const documentWith = (...attempts: Array<Attempt>): RequestDocument => ({
  version: 3,
  hostField: "kept",
  runs: {
    apply: { currentAttempt: attempts.length, attempts },
    plan: { currentAttempt: 1, attempts: [attempt(1, { runId: runId(7) })] },
  },
})
const event = (overrides: Partial<RunEvent> = {}): RunEvent => ({
  runId: runId(100),
  runAttempt: 1,
  status: "queued",
  conclusion: null,
  headSha: "abc",
  htmlUrl: "https://github.com/acme/infra/actions/runs/100",
  repository: "acme/infra",
  createdAt: created,
  updatedAt: created + 60_000,
  ...overrides,
})

const statuses = ["requested", "waiting", "pending", "queued", "in_progress", "completed"] as const
const rank = (status: string) => (status === "completed" ? 2 : status === "in_progress" ? 1 : 0)
const eventsOfOneRunAttempt = fc.array(
  fc.record({ status: fc.constantFrom(...statuses), at: fc.integer({ min: 0, max: 100_000 }) }),
  { minLength: 1, maxLength: 12 },
)

/** Applies events in order, writing each patched document, as the webhook path does. */
const applyAll = (start: RequestDocument, events: ReadonlyArray<RunEvent>) =>
  events.reduce((document, each) => {
    const outcome = applyRunEvent(document, "apply", each, tolerance)
    return outcome._tag === "Patched" ? outcome.document : document
  }, start)

const applyAttemptOf = (document: RequestDocument, number: number) =>
  document.runs.apply?.attempts.find((each) => each.attempt === number)

describe("the patch guard", () => {
  it.prop(
    "status ends at the furthest state seen in one run attempt, whatever the order and duplicates",
    [eventsOfOneRunAttempt],
    ([records]) => {
      const start = documentWith(attempt(1, { runId: runId(100) }))
      const final = applyAll(
        start,
        records.map((record) =>
          event({
            status: record.status,
            conclusion: record.status === "completed" ? "success" : null,
            updatedAt: created + record.at,
          }),
        ),
      )
      const furthest = Math.max(...records.map((record) => rank(record.status)))
      assert.strictEqual(rank(applyAttemptOf(final, 1)?.status ?? ""), furthest)
    },
  )

  it.prop(
    "completedAt is the updated_at of the first completed event applied, and never changes after",
    [eventsOfOneRunAttempt],
    ([records]) => {
      const start = documentWith(attempt(1, { runId: runId(100) }))
      const events = records.map((record) =>
        event({ status: record.status, conclusion: "success", updatedAt: created + record.at }),
      )
      const final = applyAttemptOf(applyAll(start, events), 1)
      const firstCompleted = events.find((each) => each.status === "completed")
      assert.strictEqual(
        final?.completedAt,
        firstCompleted === undefined ? undefined : new Date(firstCompleted.updatedAt).toISOString(),
      )
    },
  )

  it.prop(
    "only the attempt owning the run changes; every other attempt and field is kept",
    [eventsOfOneRunAttempt],
    ([records]) => {
      const start = documentWith(
        attempt(1, { runId: runId(99) }),
        attempt(2, { runId: runId(100) }),
        attempt(3, { runId: runId(101) }),
      )
      const final = applyAll(
        start,
        records.map((record) => event({ status: record.status })),
      )
      assert.deepStrictEqual(applyAttemptOf(final, 1), applyAttemptOf(start, 1))
      assert.deepStrictEqual(applyAttemptOf(final, 3), applyAttemptOf(start, 3))
      assert.deepStrictEqual(final.runs.plan, start.runs.plan)
      assert.strictEqual(final.hostField, "kept")
    },
  )

  it.prop(
    "applying the same event twice changes nothing the second time",
    [fc.constantFrom(...statuses)],
    ([status]) => {
      const once = applyAll(documentWith(attempt(1, { runId: runId(100) })), [event({ status })])
      assert.notStrictEqual(applyRunEvent(once, "apply", event({ status }), tolerance)._tag, "Patched")
    },
  )

  it("a higher run_attempt starts a new lifecycle; a lower one is stale", () => {
    const completed = applyAll(documentWith(attempt(1, { runId: runId(100) })), [
      event({ status: "completed", conclusion: "failure" }),
    ])
    const rerun = applyRunEvent(completed, "apply", event({ runAttempt: 2, status: "queued" }), tolerance)
    assert.strictEqual(rerun._tag, "Patched")
    const restarted = rerun._tag === "Patched" ? applyAttemptOf(rerun.document, 1) : undefined
    assert.deepStrictEqual(
      [restarted?.status, restarted?.runAttempt, restarted?.conclusion, restarted?.completedAt],
      ["queued", 2, undefined, undefined],
    )
    const late = applyRunEvent(
      rerun._tag === "Patched" ? rerun.document : completed,
      "apply",
      event({ runAttempt: 1, status: "completed", conclusion: "success" }),
      tolerance,
    )
    assert.strictEqual(late._tag, "Stale")
  })

  it("an in_progress arriving after completed changes nothing; a re-run after a failure ends in success with its own completedAt", () => {
    const failed = applyAll(documentWith(attempt(1, { runId: runId(100) })), [
      event({ status: "completed", conclusion: "failure", updatedAt: created + 60_000 }),
    ])
    assert.strictEqual(
      applyRunEvent(failed, "apply", event({ status: "in_progress" }), tolerance)._tag,
      "Unchanged",
    )
    const rerun = applyAll(failed, [
      event({ runAttempt: 2, status: "in_progress", updatedAt: created + 120_000 }),
      event({ runAttempt: 2, status: "completed", conclusion: "success", updatedAt: created + 180_000 }),
      event({ runAttempt: 1, status: "completed", conclusion: "failure", updatedAt: created + 60_000 }),
    ])
    const final = applyAttemptOf(rerun, 1)
    assert.deepStrictEqual(
      [final?.status, final?.conclusion, final?.runAttempt, final?.completedAt],
      ["completed", "success", 2, new Date(created + 180_000).toISOString()],
    )
  })

  it("a run no attempt holds attaches to the newest free attempt dispatched before it was created", () => {
    const start = documentWith(
      attempt(1),
      attempt(2),
      attempt(3, { dispatchedAt: new Date(created + 60_000).toISOString() }),
    )
    const outcome = applyRunEvent(start, "apply", event(), tolerance)
    assert.deepStrictEqual(outcome._tag === "Patched" ? [outcome.attempt, outcome.attached] : outcome._tag, [
      2,
      true,
    ])
  })

  it("never attaches a run to an attempt with another head commit, or when none is free", () => {
    assert.strictEqual(
      applyRunEvent(documentWith(attempt(1, { headSha: "other" })), "apply", event(), tolerance)._tag,
      "NoAttempt",
    )
    assert.strictEqual(
      applyRunEvent(documentWith(attempt(1, { runId: runId(5) })), "apply", event(), tolerance)._tag,
      "NoAttempt",
    )
    assert.strictEqual(applyRunEvent(documentWith(), "apply", event(), tolerance)._tag, "NoAttempt")
  })

  it("an event from another repository never patches the attempt", () => {
    const outcome = applyRunEvent(
      documentWith(attempt(1, { runId: runId(100) })),
      "apply",
      event({ repository: "evil/fork" }),
      tolerance,
    )
    assert.strictEqual(outcome._tag, "OtherRepository")
  })

  it("emits started and completed once per run attempt", () => {
    const start = documentWith(attempt(1, { runId: runId(100) }))
    const started = applyRunEvent(start, "apply", event({ status: "in_progress" }), tolerance)
    assert.deepStrictEqual(started._tag === "Patched" ? started.events.map((each) => each._tag) : [], [
      "AttemptStarted",
    ])
    const after = started._tag === "Patched" ? started.document : start
    const completed = applyRunEvent(
      after,
      "apply",
      event({ status: "completed", conclusion: "success" }),
      tolerance,
    )
    assert.deepStrictEqual(completed._tag === "Patched" ? completed.events.map((each) => each._tag) : [], [
      "AttemptCompleted",
    ])
    const again = applyRunEvent(
      completed._tag === "Patched" ? completed.document : after,
      "apply",
      event({ status: "in_progress" }),
      tolerance,
    )
    assert.strictEqual(again._tag, "Unchanged")
  })
})

describe("classification", () => {
  it("goes by the workflow file first, and the name only without a file match", () => {
    assert.strictEqual(
      classifyRun({ path: ".github/workflows/destroy.yml", name: "Apply everything" }).pipe((kind) =>
        kind._tag === "Some" ? kind.value : null,
      ),
      "destroy",
    )
    assert.strictEqual(
      classifyRun({ path: ".github/workflows/drift_plan.yaml", name: "x" }).pipe((kind) =>
        kind._tag === "Some" ? kind.value : null,
      ),
      "drift_plan",
    )
    assert.strictEqual(
      classifyRun({ path: ".github/workflows/ci.yml", name: "Nightly Drift Plan" }).pipe((kind) =>
        kind._tag === "Some" ? kind.value : null,
      ),
      "drift_plan",
    )
    assert.strictEqual(
      classifyRun({ path: ".github/workflows/ci.yml", name: "Terraform PLAN" }).pipe((kind) =>
        kind._tag === "Some" ? kind.value : null,
      ),
      "plan",
    )
    assert.strictEqual(classifyRun({ path: ".github/workflows/ci.yml", name: "lint" })._tag, "None")
  })
})
