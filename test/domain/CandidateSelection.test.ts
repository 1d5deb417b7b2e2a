import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, FastCheck as fc, Schema } from "effect"
import {
  type CandidateCriteria,
  defaultToleranceMillis,
  selectCandidates,
  titleCarriesToken,
} from "../../src/domain/CandidateSelection.js"
import { RequestId } from "../../src/domain/RequestId.js"
import { RunId } from "../../src/domain/RunId.js"
import { RepositoryName, type WorkflowRun } from "../../src/domain/WorkflowRun.js"

const dispatchedAt = Date.parse("2026-01-01T12:00:00.000Z")
const tolerance = defaultToleranceMillis
const token = Schema.decodeSync(RequestId)("req_b")
const otherRequest = Schema.decodeSync(RequestId)("req_a")
const us = "run-index-bot"

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
  actor: us,
  triggeringActor: us,
  ...overrides,
})

const actors = fc.constantFrom<string | null>(us, us, "someone-else", "run-index-bot2", null)
const runs = fc.array(
  fc.record({
    id: fc.integer({ min: 1, max: 1_000_000 }),
    offset: fc.integer({ min: -20_000, max: 20_000 }),
    event: fc.constantFrom("workflow_dispatch", "workflow_dispatch", "push", "schedule"),
    branch: fc.constantFrom<string | null>("main", "feature", null),
    actor: actors,
    triggeringActor: actors,
    title: fc.constantFrom(
      "Apply",
      "Apply req_b",
      "Apply req_bb",
      "Apply req_a",
      "req_b: apply",
      "Apply req_b after req_a",
      "Apply req_a.1",
    ),
  }),
  { maxLength: 30 },
)
type RunRecord = typeof runs extends fc.Arbitrary<ReadonlyArray<infer Record>> ? Record : never
const build = (records: ReadonlyArray<RunRecord>) =>
  records.map((record, index) =>
    run(record.id * 100 + index, {
      createdAt: dispatchedAt + record.offset,
      event: record.event,
      headBranch: record.branch,
      actor: record.actor,
      triggeringActor: record.triggeringActor,
      displayTitle: record.title,
    }),
  )
const criteria: CandidateCriteria = {
  ref: "main",
  dispatchedAtMillis: dispatchedAt,
  toleranceMillis: tolerance,
  actor: us,
  token,
  excludedTokens: [otherRequest],
  requireToken: false,
}
const criteriaArbitrary = fc.record({
  requireToken: fc.boolean(),
  excludedTokens: fc.subarray([otherRequest, Schema.decodeSync(RequestId)("req_bb")]),
})

/** The implementation this one replaced: the same rule as a regular expression, kept as the oracle. */
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
const carriesByRegExp = (title: string, wanted: string) =>
  new RegExp(`(?<![A-Za-z0-9_.-])${escapeRegExp(wanted)}(?![A-Za-z0-9_-]|\\.[A-Za-z0-9_-])`).test(title)

describe("candidate selection", () => {
  it.prop(
    "never a run created before dispatch minus tolerance, on another branch, or from another event",
    [runs, criteriaArbitrary],
    ([records, options]) => {
      for (const candidate of selectCandidates(build(records), { ...criteria, ...options })) {
        assert.isAtLeast(candidate.createdAt, dispatchedAt - tolerance)
        assert.include([null, "main"], candidate.headBranch)
        assert.strictEqual(candidate.event, "workflow_dispatch")
      }
    },
  )

  it.prop(
    "another actor's run is never selected, whatever else holds",
    [runs, criteriaArbitrary],
    ([records, options]) => {
      for (const candidate of selectCandidates(build(records), { ...criteria, ...options })) {
        assert.strictEqual(candidate.actor, us)
        assert.include([null, us], candidate.triggeringActor)
      }
    },
  )

  it("a run by another actor is not a candidate even when it carries our token and is the earliest", () => {
    const theirs = run(1, {
      actor: "someone-else",
      triggeringActor: null,
      displayTitle: "Apply req_b",
    })
    const rerunByThem = run(2, { triggeringActor: "someone-else", displayTitle: "Apply req_b" })
    const ours = run(3, { createdAt: dispatchedAt + 1_000 })
    const unknownTrigger = run(4, { createdAt: dispatchedAt + 2_000, triggeringActor: null })
    assert.deepStrictEqual(
      selectCandidates([theirs, rerunByThem, ours, unknownTrigger], criteria).map(
        (candidate) => candidate.id,
      ),
      [ours.id, unknownTrigger.id],
    )
  })

  it.prop(
    "a run carrying an excluded token is never selected",
    [runs, criteriaArbitrary],
    ([records, options]) => {
      const chosen = { ...criteria, ...options }
      for (const candidate of selectCandidates(build(records), chosen)) {
        for (const excluded of chosen.excludedTokens) {
          assert.isFalse(titleCarriesToken(candidate.displayTitle, excluded))
        }
      }
    },
  )

  it.prop(
    "requiring the token keeps only runs that carry it",
    [runs, criteriaArbitrary],
    ([records, options]) => {
      for (const candidate of selectCandidates(build(records), {
        ...criteria,
        ...options,
        requireToken: true,
      })) {
        assert.isTrue(titleCarriesToken(candidate.displayTitle, token))
      }
    },
  )

  it.prop(
    "the candidates are exactly the eligible runs: none dropped, none added",
    [runs, criteriaArbitrary],
    ([records, options]) => {
      const chosen = { ...criteria, ...options }
      const built = build(records)
      const eligible = built.filter(
        (each) =>
          each.event === "workflow_dispatch" &&
          each.actor === us &&
          (each.triggeringActor === null || each.triggeringActor === us) &&
          (each.headBranch === null || each.headBranch === "main") &&
          each.createdAt >= dispatchedAt - tolerance &&
          !chosen.excludedTokens.some((excluded) => titleCarriesToken(each.displayTitle, excluded)) &&
          (!chosen.requireToken || titleCarriesToken(each.displayTitle, token)),
      )
      assert.sameMembers(
        selectCandidates(built, chosen).map((candidate) => candidate.id),
        eligible.map((each) => each.id),
      )
    },
  )

  it.prop(
    "runs carrying the token come first, then the earliest created, then the lower id",
    [runs, criteriaArbitrary],
    ([records, options]) => {
      const ordered = selectCandidates(build(records), { ...criteria, ...options })
      for (let index = 1; index < ordered.length; index++) {
        const before = ordered[index - 1]!
        const after = ordered[index]!
        const rank = (candidate: WorkflowRun) => (titleCarriesToken(candidate.displayTitle, token) ? 0 : 1)
        const order = rank(before) - rank(after) || before.createdAt - after.createdAt || before.id - after.id
        assert.isBelow(order, 0, `${before.id} before ${after.id}`)
      }
    },
  )

  it("the tolerance boundary is inclusive to the millisecond", () => {
    const atBoundary = run(1, { createdAt: dispatchedAt - tolerance })
    const justBefore = run(2, { createdAt: dispatchedAt - tolerance - 1 })
    assert.deepStrictEqual(
      selectCandidates([atBoundary, justBefore], criteria).map((candidate) => candidate.id),
      [atBoundary.id],
    )
  })

  it("the default tolerance admits a run created in the second before GitHub stamped the answer", () => {
    // Both times are truncated to whole seconds: created at 11:59:58.9 and answered at 12:00:00.1.
    const createdJustBefore = run(1, { createdAt: Date.parse("2026-01-01T11:59:58.000Z") })
    const older = run(2, { createdAt: Date.parse("2026-01-01T11:59:57.000Z") })
    assert.strictEqual(defaultToleranceMillis, 2_000)
    assert.deepStrictEqual(
      selectCandidates([createdJustBefore, older], criteria).map((candidate) => candidate.id),
      [createdJustBefore.id],
    )
  })

  it("a ref given as refs/heads/<branch> matches runs on that branch", () => {
    const onMain = run(3)
    assert.strictEqual(selectCandidates([onMain], { ...criteria, ref: "refs/heads/main" }).length, 1)
  })
})

describe("titleCarriesToken", () => {
  it("matches the token as a whole word only", () => {
    assert.isTrue(titleCarriesToken("Apply req_b", "req_b"))
    assert.isTrue(titleCarriesToken("req_b: apply", "req_b"))
    assert.isTrue(titleCarriesToken("Apply (req_b).", "req_b"))
    assert.isTrue(titleCarriesToken("req_bb then req_b", "req_b"))
    assert.isFalse(titleCarriesToken("Apply req_bb", "req_b"))
    assert.isFalse(titleCarriesToken("Apply xreq_b", "req_b"))
    assert.isFalse(titleCarriesToken("Apply .req_b", "req_b"))
    assert.isFalse(titleCarriesToken("Apply req_b.1", "req_b"))
    assert.isFalse(titleCarriesToken("Apply req_b-2", "req_b"))
    assert.isFalse(titleCarriesToken("Apply", ""))
  })

  it.prop(
    "agrees with the regular expression it replaced",
    [
      Arbitrary.make(RequestId),
      fc.array(fc.constantFrom("req_b", "req", "_b", ".", "-", " ", "x", "1", "(", ")", "é"), {
        maxLength: 12,
      }),
    ],
    ([anyToken, pieces]) => {
      for (const wanted of [anyToken, "req_b"]) {
        for (const title of [
          pieces.join(""),
          `${pieces.join("")}${anyToken}`,
          `${anyToken} ${pieces.join("")}`,
        ]) {
          assert.strictEqual(titleCarriesToken(title, wanted), carriesByRegExp(title, wanted), title)
        }
      }
    },
  )

  it("answers for a 1 MB hostile title of dots and near-misses", () => {
    const nearMisses = "req_b.x.req_bb.".repeat(70_000)
    assert.isAbove(nearMisses.length, 1_000_000)
    assert.isFalse(titleCarriesToken(nearMisses, "req_b"))
    assert.isTrue(titleCarriesToken(`${nearMisses} req_b`, "req_b"))
    const dots = ".".repeat(1_000_000)
    assert.isFalse(titleCarriesToken(`${dots}req_b${dots}`, "req_b"))
    assert.isTrue(titleCarriesToken(`${dots} req_b.${dots}`, "req_b"))
  })
})
