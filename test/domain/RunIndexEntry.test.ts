import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Either, Schema } from "effect"
import fc from "fast-check"
import { validateEntry } from "../../src/domain/EntryValidation.js"
import { RequestId } from "../../src/domain/RequestId.js"
import { RunId } from "../../src/domain/RunId.js"
import { encodeEntry, makeEntry } from "../../src/domain/RunIndexEntry.js"
import { WorkflowKind } from "../../src/domain/WorkflowKind.js"
import { seedBody } from "../support/fixtures.js"

/** Entries as the writer makes them: any kind, run, request and instant, any retention. */
const entries = fc
  .record({
    kind: Arbitrary.make(WorkflowKind),
    runId: Arbitrary.make(RunId),
    requestId: Arbitrary.make(RequestId),
    nowMillis: fc.integer({ min: 0, max: Date.parse("2100-01-01T00:00:00.000Z") }),
    retentionDays: fc.integer({ min: 1, max: 3650 }),
  })
  .map(makeEntry)

describe("index entries", () => {
  it.prop("decoding an encoded entry under its own key gives the entry back", [entries], ([entry]) => {
    assert.deepStrictEqual(validateEntry(entry, encodeEntry(entry)), Either.right(entry))
  })

  it.prop("the encoding is the compact JSON of DESIGN.md §2, fields in order", [entries], ([entry]) => {
    const expected =
      `{"kind":"${entry.kind}","runId":${entry.runId},"requestId":"${entry.requestId}",` +
      `"createdAt":"${entry.createdAt}","expiresAt":"${entry.expiresAt}"}`
    assert.strictEqual(encodeEntry(entry), expected)
  })

  it.prop("expiresAt is createdAt plus the retention in days", [entries], ([entry]) => {
    const days = (Date.parse(entry.expiresAt) - Date.parse(entry.createdAt)) / 86_400_000
    assert.isTrue(Number.isInteger(days) && days >= 1)
  })

  it("an entry from an existing bucket re-encodes byte for byte", () => {
    const key = { kind: "apply" as const, runId: Schema.decodeSync(RunId)(123456790) }
    const decoded = validateEntry(key, seedBody)
    assert.isTrue(Either.isRight(decoded))
    if (Either.isRight(decoded)) assert.strictEqual(encodeEntry(decoded.right), seedBody)
  })

  it("makeEntry uses 90 days as the seed did", () => {
    const entry = makeEntry({
      kind: "apply",
      runId: Schema.decodeSync(RunId)(123456790),
      requestId: Schema.decodeSync(RequestId)("req_dev_ec2_abc"),
      nowMillis: Date.parse("2025-01-15T10:00:00.000Z"),
      retentionDays: 90,
    })
    assert.strictEqual(encodeEntry(entry), seedBody)
  })

  it.prop(
    "a body under another kind's or run's key is never taken as a mapping",
    [entries, entries],
    ([entry, other]) => {
      fc.pre(entry.kind !== other.kind || entry.runId !== other.runId)
      const result = validateEntry(other, encodeEntry(entry))
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) assert.include(["KindMismatch", "RunIdMismatch"], result.left.reason)
    },
  )

  it("names the reason for each way a body can be invalid", () => {
    const key = { kind: "plan" as const, runId: Schema.decodeSync(RunId)(5) }
    const reasonOf = (body: string) =>
      Either.match(validateEntry(key, body), { onLeft: (l) => l.reason, onRight: () => "valid" })
    const fields = '"createdAt":"2025-01-15T10:00:00.000Z","expiresAt":"2025-04-15T10:00:00.000Z"'
    assert.strictEqual(reasonOf(""), "NotJson")
    assert.strictEqual(reasonOf("null"), "WrongShape")
    assert.strictEqual(reasonOf('"text"'), "WrongShape")
    assert.strictEqual(reasonOf(`{"kind":"plan","runId":5,"requestId":"req_a"}`), "WrongShape")
    assert.strictEqual(
      reasonOf(`{"kind":"plan","runId":5,"requestId":"req_a","createdAt":"yesterday","expiresAt":"x"}`),
      "WrongShape",
    )
    assert.strictEqual(reasonOf(`{"kind":"plan","runId":5.5,"requestId":"req_a",${fields}}`), "WrongShape")
    assert.strictEqual(
      reasonOf(`{"kind":"plan","runId":"5","requestId":"req_a",${fields}}`),
      "RunIdNotNumber",
    )
    assert.strictEqual(reasonOf(`{"kind":"plan","runId":5,"requestId":"",${fields}}`), "InvalidRequestId")
    assert.strictEqual(
      reasonOf(`{"kind":"plan","runId":5,"requestId":"../etc",${fields}}`),
      "InvalidRequestId",
    )
    assert.strictEqual(reasonOf(`{"kind":"apply","runId":5,"requestId":"req_a",${fields}}`), "KindMismatch")
    assert.strictEqual(reasonOf(`{"kind":"plan","runId":6,"requestId":"req_a",${fields}}`), "RunIdMismatch")
    assert.strictEqual(reasonOf(`{"kind":"plan","runId":5,"requestId":"req_a",${fields}}`), "valid")
  })
})
