import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Option, Schema } from "effect"
import { RequestId } from "../../src/domain/RequestId.js"
import { RunIdFromString } from "../../src/domain/RunId.js"
import { keyPath, parseKeyPath, RunIndexKey } from "../../src/domain/RunIndexKey.js"

describe("the key codec", () => {
  it.prop(
    "parseKeyPath inverts keyPath for every kind and run id",
    [Arbitrary.make(RunIndexKey)],
    ([key]) => {
      assert.deepStrictEqual(parseKeyPath(keyPath(key)), Option.some(key))
    },
  )

  it("writes the layout of existing buckets", () => {
    assert.strictEqual(
      keyPath({ kind: "drift_plan", runId: Schema.decodeSync(RunIdFromString)("123456790") }),
      "webhooks/github/run-index/drift_plan/run-123456790.json",
    )
  })

  it("rejects every path keyPath could not have produced", () => {
    for (const path of [
      "webhooks/github/run-index/deploy/run-1.json",
      "webhooks/github/run-index/plan/run-0.json",
      "webhooks/github/run-index/plan/run-01.json",
      "webhooks/github/run-index/plan/run--1.json",
      "webhooks/github/run-index/plan/run-1.5.json",
      "webhooks/github/run-index/plan/run-99999999999999999.json",
      "webhooks/github/run-index/plan/run-1.json.tmp",
      "webhooks/github/run-index/plan/extra/run-1.json",
      "requests/req_a.json",
    ]) {
      assert.isTrue(Option.isNone(parseKeyPath(path)), path)
    }
  })
})

describe("request ids", () => {
  it("accept the platform's ids and refuse anything that could leave its key or path", () => {
    const isRequestId = Schema.is(RequestId)
    for (const valid of ["req_dev_ec2_abc", "A", "r.1-2_3", "x".repeat(128)])
      assert.isTrue(isRequestId(valid), valid)
    for (const invalid of ["", "../x", "a/b", ".hidden", "_a", "-a", "a b", "x".repeat(129), "ä"]) {
      assert.isFalse(isRequestId(invalid), invalid)
    }
  })
})
