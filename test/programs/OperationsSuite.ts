import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, type Layer, Stream, TestClock } from "effect"
import { ObjectStore, WriteCondition } from "../../src/adapters/objects/ObjectStore.js"
import { encodeEntry } from "../../src/domain/RunIndexEntry.js"
import { keyPath } from "../../src/domain/RunIndexKey.js"
import type { WorkflowKind } from "../../src/domain/WorkflowKind.js"
import type { RequestStore } from "../../src/ports/RequestStore.js"
import { RunIndexStore } from "../../src/ports/RunIndexStore.js"
import { backfillIndex } from "../../src/programs/Backfill.js"
import { indexStats, verifyIndex, verifyIndexAndRequests } from "../../src/programs/Inspection.js"
import { sweepIndex } from "../../src/programs/Sweep.js"
import { entry } from "../support/fixtures.js"

/** "Now" for every test: entries expiring before it are expired. */
const now = Date.parse("2025-06-01T00:00:00.000Z")

const expired = "2025-04-15T10:00:00.000Z"
const fresh = "2025-09-01T00:00:00.000Z"

/**
 * The planted index. Expired: apply 101, plan 102 (expires earliest), drift_plan 701. Fresh: apply
 * 201, destroy 401, apply 501. Invalid: plan 801 (not JSON), cleanup 802 (a plan body), plan/notes.txt.
 */
const entries = [
  entry("apply", 101, "req_a", "2025-01-15T10:00:00.000Z", expired),
  entry("plan", 102, "req_gone", "2025-01-10T00:00:00.000Z", "2025-03-10T00:00:00.000Z"),
  entry("drift_plan", 701, "req_bad", "2025-01-20T00:00:00.000Z", expired),
  entry("apply", 201, "req_a", "2025-05-01T00:00:00.000Z", fresh),
  entry("destroy", 401, "req_b", "2025-05-02T00:00:00.000Z", fresh),
  entry("apply", 501, "req_a", "2025-05-03T00:00:00.000Z", fresh),
]
const invalidObjects: ReadonlyArray<readonly [string, string]> = [
  ["webhooks/github/run-index/plan/run-801.json", "not json"],
  ["webhooks/github/run-index/cleanup/run-802.json", encodeEntry(entry("plan", 802, "req_c"))],
  ["webhooks/github/run-index/plan/notes.txt", "{}"],
]

const attempt = (number: number, runId?: number) => ({
  attempt: number,
  status: "completed",
  dispatchedAt: "2025-01-01T00:00:00.000Z",
  ...(runId === undefined ? {} : { runId }),
})
const runs = (...attempts: Array<ReturnType<typeof attempt>>) => ({
  currentAttempt: attempts.length,
  attempts,
})

/**
 * The planted requests. req_a: apply 101 and 201 (indexed), plan 301 (no entry). req_b: destroy 401
 * (indexed), apply 501 (the entry names req_a). req_c: a queued plan attempt without a run, cleanup
 * 601 (no entry) and 802 (an invalid entry). req_bad: not a request document.
 */
const requests: ReadonlyArray<readonly [string, string]> = [
  [
    "req_a",
    JSON.stringify({
      version: 3,
      runs: { apply: runs(attempt(1, 101), attempt(2, 201)), plan: runs(attempt(1, 301)) },
    }),
  ],
  [
    "req_b",
    JSON.stringify({ version: 2, runs: { destroy: runs(attempt(1, 401)), apply: runs(attempt(1, 501)) } }),
  ],
  [
    "req_c",
    JSON.stringify({
      version: 4,
      runs: { plan: runs(attempt(1)), cleanup: runs(attempt(1, 601), attempt(2, 802)) },
    }),
  ],
  ["req_bad", '{"version":"seven"}'],
]

const plantWorld = Effect.gen(function* () {
  const objects = yield* ObjectStore
  yield* TestClock.setTime(now)
  const planted = [
    ...entries.map((each) => [keyPath(each), encodeEntry(each)] as const),
    ...invalidObjects,
    ...requests.map(([id, body]) => [`requests/${id}.json`, body] as const),
  ]
  yield* Effect.forEach(planted, ([path, body]) => objects.put(path, body, WriteCondition.Always()), {
    concurrency: 8,
    discard: true,
  })
})

const listedPaths = Effect.flatMap(RunIndexStore, (store) =>
  Stream.runCollect(Stream.map(store.list(), (listed) => listed.path)),
).pipe(Effect.map(Chunk.toReadonlyArray))

const pathOf = (kind: WorkflowKind, runId: number) => `webhooks/github/run-index/${kind}/run-${runId}.json`

type Stores = RunIndexStore | RequestStore | ObjectStore

/**
 * Stats, verify, backfill and sweep over one planted world, against one store; `makeLayer` gives a
 * fresh empty store on every build. Every number asserted is one planted above.
 */
export const operationsSuite = (name: string, makeLayer: () => Layer.Layer<Stores, unknown>) =>
  describe(`operations: ${name}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, Stores>) =>
      Effect.provide(Effect.zipRight(plantWorld, effect), makeLayer())

    it.effect(
      "stats counts the planted entries by kind, the expired and invalid ones, and the createdAt range",
      () =>
        run(
          Effect.gen(function* () {
            const stats = yield* indexStats()
            assert.deepStrictEqual(stats, {
              entries: 6,
              byKind: { plan: 1, apply: 3, destroy: 1, cleanup: 0, drift_plan: 1 },
              expired: 3,
              invalid: 3,
              oldestCreatedAt: "2025-01-10T00:00:00.000Z",
              newestCreatedAt: "2025-05-03T00:00:00.000Z",
            })
          }),
        ),
    )

    it.effect("verify counts and lists each invalid entry with its reason", () =>
      run(
        Effect.gen(function* () {
          const report = yield* verifyIndex()
          assert.deepStrictEqual([report.checked, report.valid, report.invalid], [9, 6, 3])
          assert.deepStrictEqual(report.reasons, { NotJson: 1, KindMismatch: 1, UnrecognisedKey: 1 })
          assert.deepStrictEqual(
            report.invalidEntries.map((each) => each.path).sort(),
            invalidObjects.map(([path]) => path).sort(),
          )
        }),
      ),
    )

    it.effect(
      "verify with requests finds every disagreement between the index and the requests, in both directions",
      () =>
        run(
          Effect.gen(function* () {
            const report = yield* verifyIndexAndRequests()
            assert.strictEqual(report.index.invalid, 3)
            const { problemList, ...counts } = report.requests
            assert.deepStrictEqual(counts, {
              entriesChecked: 6,
              requestsChecked: 4,
              attemptsChecked: 7,
              problems: 8,
              byProblem: {
                RequestMissing: 1,
                RequestUnreadable: 1,
                DocumentUnreadable: 1,
                NoAttemptHoldsRun: 1,
                EntryMissing: 2,
                EntryOwnedByOther: 1,
                EntryInvalid: 1,
              },
            })
            const found = problemList
              .map((each) => `${each.problem} ${each.kind} ${each.runId} ${each.requestId}`)
              .sort()
            assert.deepStrictEqual(found, [
              "DocumentUnreadable undefined undefined req_bad",
              "EntryInvalid cleanup 802 req_c",
              "EntryMissing cleanup 601 req_c",
              "EntryMissing plan 301 req_a",
              "EntryOwnedByOther apply 501 req_b",
              "NoAttemptHoldsRun apply 501 req_a",
              "RequestMissing plan 102 req_gone",
              "RequestUnreadable drift_plan 701 req_bad",
            ])
          }),
        ),
    )

    it.effect("verify with requests and a kind checks that kind only", () =>
      run(
        Effect.gen(function* () {
          const report = yield* verifyIndexAndRequests({ kind: "cleanup" })
          assert.deepStrictEqual(
            [report.index.checked, report.requests.entriesChecked, report.requests.attemptsChecked],
            [1, 0, 2],
          )
          // An unreadable document cannot be checked for any kind: it is reported whatever the kind.
          assert.deepStrictEqual(report.requests.byProblem, {
            EntryMissing: 1,
            EntryInvalid: 1,
            DocumentUnreadable: 1,
          })
        }),
      ),
    )

    it.effect("a dry-run backfill reports what it would claim and writes nothing", () =>
      run(
        Effect.gen(function* () {
          const before = yield* listedPaths
          const report = yield* backfillIndex({ dryRun: true })
          const { conflictList, blockedList, unreadableList, ...counts } = report
          assert.deepStrictEqual(counts, {
            dryRun: true,
            requests: 4,
            unreadable: 1,
            attemptsWithRunId: 7,
            alreadyIndexed: 3,
            claimed: 2,
            conflicts: 1,
            blocked: 1,
          })
          assert.deepStrictEqual(conflictList, [
            { kind: "apply", runId: 501, requestId: "req_b", owner: "req_a" },
          ])
          assert.deepStrictEqual(
            blockedList.map((each) => [each.kind, each.runId, each.requestId, each.reason]),
            [["cleanup", 802, "req_c", "KindMismatch"]],
          )
          assert.deepStrictEqual(
            unreadableList.map((each) => each.requestId),
            ["req_bad"],
          )
          assert.deepStrictEqual(yield* listedPaths, before)
        }),
      ),
    )

    it.effect(
      "backfill claims the missing entries, never overwrites a conflict, and a second run claims nothing",
      () =>
        run(
          Effect.gen(function* () {
            const store = yield* RunIndexStore
            const first = yield* backfillIndex()
            assert.deepStrictEqual(
              [first.claimed, first.alreadyIndexed, first.conflicts, first.blocked, first.unreadable],
              [2, 3, 1, 1, 1],
            )
            const plan301 = yield* store.get({ kind: "plan", runId: entry("plan", 301, "req_a").runId })
            assert.deepStrictEqual(
              plan301._tag === "Found"
                ? [plan301.entry.requestId, plan301.entry.createdAt, plan301.entry.expiresAt]
                : plan301._tag,
              ["req_a", "2025-06-01T00:00:00.000Z", "2025-08-30T00:00:00.000Z"],
            )
            const apply501 = yield* store.get({ kind: "apply", runId: entry("apply", 501, "req_a").runId })
            assert.strictEqual(apply501._tag === "Found" ? apply501.entry.requestId : apply501._tag, "req_a")

            const second = yield* backfillIndex()
            assert.deepStrictEqual([second.claimed, second.alreadyIndexed, second.conflicts], [0, 5, 1])
            const after = yield* verifyIndexAndRequests()
            assert.deepStrictEqual(after.requests.byProblem.EntryMissing, undefined)
          }),
        ),
    )

    it.effect("a dry-run sweep reading bodies counts the expired entries and deletes nothing", () =>
      run(
        Effect.gen(function* () {
          const before = yield* listedPaths
          const report = yield* sweepIndex({ dryRun: true, readBodies: true, beforeMillis: now })
          assert.deepStrictEqual(
            [report.cutoff, report.scanned, report.expired, report.kept, report.invalid, report.deleted],
            ["2025-06-01T00:00:00.000Z", 9, 3, 3, 3, 0],
          )
          assert.deepStrictEqual(yield* listedPaths, before)
        }),
      ),
    )

    it.effect(
      "sweep reading bodies deletes the expired entries and keeps the fresh and, by default, the invalid ones",
      () =>
        run(
          Effect.gen(function* () {
            const report = yield* sweepIndex({ readBodies: true, beforeMillis: now })
            assert.deepStrictEqual(
              [report.scanned, report.expired, report.kept, report.invalid, report.deleted, report.failed],
              [9, 3, 3, 3, 3, 0],
            )
            assert.deepStrictEqual(report.invalidReasons, { NotJson: 1, KindMismatch: 1, UnrecognisedKey: 1 })
            assert.deepStrictEqual(yield* listedPaths, [
              pathOf("apply", 201),
              pathOf("apply", 501),
              "webhooks/github/run-index/cleanup/run-802.json",
              pathOf("destroy", 401),
              "webhooks/github/run-index/plan/notes.txt",
              "webhooks/github/run-index/plan/run-801.json",
            ])
          }),
        ),
    )

    it.effect(
      "sweep with deleteInvalid deletes the invalid entries too, but not a key of another shape under the prefix",
      () =>
        run(
          Effect.gen(function* () {
            const report = yield* sweepIndex({ deleteInvalid: true, beforeMillis: now })
            assert.deepStrictEqual(
              [report.mode, report.expired, report.invalid, report.foreign, report.deleted],
              ["bodies", 3, 3, 1, 5],
            )
            assert.deepStrictEqual(report.foreignKeys, ["webhooks/github/run-index/plan/notes.txt"])
            assert.deepStrictEqual(yield* listedPaths, [
              pathOf("apply", 201),
              pathOf("apply", 501),
              pathOf("destroy", 401),
              "webhooks/github/run-index/plan/notes.txt",
            ])
          }),
        ),
    )

    it.effect(
      "sweep by age deletes every entry of the index's shape written more than the retention before the cutoff, unread, and keeps a key of another shape",
      () =>
        run(
          Effect.gen(function* () {
            // Everything was just written: long past the retention by 2100, whatever the store's clock.
            const report = yield* sweepIndex({ beforeMillis: Date.parse("2100-01-01T00:00:00.000Z") })
            assert.deepStrictEqual(
              [report.mode, report.scanned, report.expired, report.kept, report.foreign, report.deleted],
              ["age", 9, 8, 0, 1, 8],
            )
            assert.deepStrictEqual(yield* listedPaths, ["webhooks/github/run-index/plan/notes.txt"])
            const kept = yield* sweepIndex({ beforeMillis: now })
            assert.deepStrictEqual([kept.scanned, kept.expired, kept.deleted], [1, 0, 0])
          }),
        ),
    )

    it.effect(
      "sweep with a kind and an earlier cutoff deletes only entries of that kind expiring before it",
      () =>
        run(
          Effect.gen(function* () {
            const apply = yield* sweepIndex({ kind: "apply", readBodies: true, beforeMillis: now })
            assert.deepStrictEqual([apply.scanned, apply.expired, apply.deleted], [3, 1, 1])
            const early = yield* sweepIndex({
              readBodies: true,
              beforeMillis: Date.parse("2025-04-01T00:00:00.000Z"),
            })
            assert.deepStrictEqual(
              [early.cutoff, early.expired, early.deleted],
              ["2025-04-01T00:00:00.000Z", 1, 1],
            )
            const left = yield* listedPaths
            assert.notInclude(left, pathOf("apply", 101))
            assert.notInclude(left, pathOf("plan", 102))
            assert.include(left, pathOf("drift_plan", 701))
          }),
        ),
    )
  })
