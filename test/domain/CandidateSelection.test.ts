import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc, Schema } from "effect"
import { selectCandidates, titleCarriesToken } from "../../src/domain/CandidateSelection.js"
import { RequestId } from "../../src/domain/RequestId.js"
import { RunId } from "../../src/domain/RunId.js"
import { RepositoryName, type WorkflowRun } from "../../src/domain/WorkflowRun.js"

const dispatchedAt = Date.parse("2026-01-01T12:00:00.000Z")
const tolerance = 5_000
const token = Schema.decodeSync(RequestId)("req_b")

const run = (id: number, overrides: Partial<WorkflowRun> = {}): WorkflowRun => ({
  id: Schema.decodeSync(RunId)(id),
  repository: Schema.decodeSync(RepositoryName)("acme/infra"),
  name: "Apply",
  displayTitle: "Apply",
  path: ".github/workflows/apply.yml",
  event: "workflow_dispatch",
  status: "queued",
  conclusion: null,
  headBranch: "main",
  headSha: "abc",
  runAttempt: 1,
  createdAt: dispatchedAt,
  updatedAt: dispatchedAt,
  htmlUrl: `https://github.com/acme/infra/actions/runs/${id}`,
  actor: "bot",
  ...overrides,
})

const runs = fc.array(
  fc.record({
    id: fc.integer({ min: 1, max: 1_000_000 }),
    offset: fc.integer({ min: -20_000, max: 20_000 }),
    event: fc.constantFrom("workflow_dispatch", "push", "schedule"),
    branch: fc.constantFrom<string | null>("main", "feature", null),
    title: fc.constantFrom("Apply", "Apply req_b", "Apply req_bb", "Apply req_a", "req_b: apply"),
  }),
  { maxLength: 30 },
)
const build = (
  records: ReadonlyArray<{ id: number; offset: number; event: string; branch: string | null; title: string }>,
) =>
  records.map((record, index) =>
    run(record.id * 100 + index, {
      createdAt: dispatchedAt + record.offset,
      event: record.event,
      headBranch: record.branch,
      displayTitle: record.title,
    }),
  )
const criteria = {
  ref: "main",
  dispatchedAtMillis: dispatchedAt,
  toleranceMillis: tolerance,
  token,
  requireToken: false,
  actor: "bot",
  excludedTokens: [],
}

describe("candidate selection", () => {
  it.prop(
    "never a run created before dispatch minus tolerance, on another branch, or from another event",
    [runs],
    ([records]) => {
      for (const candidate of selectCandidates(build(records), criteria)) {
        assert.isAtLeast(candidate.createdAt, dispatchedAt - tolerance)
        assert.include([null, "main"], candidate.headBranch)
        assert.strictEqual(candidate.event, "workflow_dispatch")
      }
    },
  )

  it.prop("a run carrying the token always comes before every run that does not", [runs], ([records]) => {
    const ordered = selectCandidates(build(records), criteria)
    const carries = ordered.map((candidate) => titleCarriesToken(candidate.displayTitle, token))
    const firstWithout = carries.indexOf(false)
    assert.isTrue(firstWithout === -1 || carries.slice(firstWithout).every((flag) => !flag))
  })

  it.prop("without a token match, the earliest eligible run comes first", [runs], ([records]) => {
    const ordered = selectCandidates(build(records), criteria).filter(
      (candidate) => !titleCarriesToken(candidate.displayTitle, token),
    )
    for (let index = 1; index < ordered.length; index++) {
      assert.isAtMost(ordered[index - 1]!.createdAt, ordered[index]!.createdAt)
    }
  })

  it.prop("requiring the token keeps only runs that carry it", [runs], ([records]) => {
    for (const candidate of selectCandidates(build(records), { ...criteria, requireToken: true })) {
      assert.isTrue(titleCarriesToken(candidate.displayTitle, token))
    }
  })

  it("the tolerance boundary is inclusive to the millisecond", () => {
    const atBoundary = run(1, { createdAt: dispatchedAt - tolerance })
    const justBefore = run(2, { createdAt: dispatchedAt - tolerance - 1 })
    assert.deepStrictEqual(
      selectCandidates([atBoundary, justBefore], criteria).map((candidate) => candidate.id),
      [atBoundary.id],
    )
  })

  it("a ref given as refs/heads/<branch> matches runs on that branch", () => {
    const onMain = run(3)
    assert.strictEqual(selectCandidates([onMain], { ...criteria, ref: "refs/heads/main" }).length, 1)
  })

  it("the token matches as a whole word only", () => {
    assert.isTrue(titleCarriesToken("Apply req_b", "req_b"))
    assert.isTrue(titleCarriesToken("req_b: apply", "req_b"))
    assert.isTrue(titleCarriesToken("Apply (req_b).", "req_b"))
    assert.isFalse(titleCarriesToken("Apply req_bb", "req_b"))
    assert.isFalse(titleCarriesToken("Apply xreq_b", "req_b"))
    assert.isFalse(titleCarriesToken("Apply req_b.1", "req_b"))
    assert.isFalse(titleCarriesToken("Apply req_b-2", "req_b"))
  })
})
