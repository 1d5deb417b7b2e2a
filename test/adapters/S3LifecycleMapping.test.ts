import type { LifecycleRule as S3LifecycleRule } from "@aws-sdk/client-s3"
import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import fc from "fast-check"
import {
  configurationAsStored,
  configurationFromS3,
  configurationToS3,
  ruleFromS3,
  ruleToS3,
} from "../../src/adapters/objects/S3LifecycleMapping.js"
import { ExpireEntries, lifecycleRuleId, planLifecycle } from "../../src/domain/LifecycleRule.js"
import { runIndexPrefix } from "../../src/domain/RunIndexKey.js"

/** Ours, as S3 stores it. */
const ourRule = (days: number): S3LifecycleRule => ({
  ID: lifecycleRuleId,
  Status: "Enabled",
  Filter: { Prefix: runIndexPrefix },
  Expiration: { Days: days },
})

/** Rules of the shapes S3 returns, none with our id. */
const s3Rule: fc.Arbitrary<S3LifecycleRule> = fc.record({
  ID: fc.string({ minLength: 1, maxLength: 12 }).filter((id) => id !== lifecycleRuleId),
  Status: fc.constantFrom("Enabled" as const, "Disabled" as const),
  Filter: fc.oneof(
    fc.record({ Prefix: fc.string({ maxLength: 20 }) }),
    fc.record({
      And: fc.record({
        Prefix: fc.string({ maxLength: 10 }),
        Tags: fc.array(fc.record({ Key: fc.string(), Value: fc.string() }), { maxLength: 2 }),
      }),
    }),
  ),
  Expiration: fc.record({ Days: fc.integer({ min: 1, max: 1000 }) }),
})
const days = fc.integer({ min: 1, max: 36_500 })

const planS3 = (rules: ReadonlyArray<S3LifecycleRule>, wanted: number, size?: "varies_by_storage_class") => {
  const plan = planLifecycle(
    Option.some(configurationFromS3({ Rules: [...rules], TransitionDefaultMinimumObjectSize: size })),
    wanted,
  )
  return { plan, request: Option.getOrThrow(configurationToS3(plan.configuration)) }
}

describe("S3's lifecycle rules in the domain's words", () => {
  it.prop(
    "merged and written back, every other rule is S3's own object, in order, and ours is there once",
    [fc.array(s3Rule, { maxLength: 6 }), fc.option(days, { nil: undefined }), days],
    ([others, existingDays, wanted]) => {
      const current =
        existingDays === undefined
          ? others
          : [...others.slice(0, 1), ourRule(existingDays), ...others.slice(1)]
      const { plan, request } = planS3(current, wanted)
      const written = request.LifecycleConfiguration?.Rules ?? []
      assert.strictEqual(written.length, others.length + 1)
      const kept = written.filter((rule) => rule.ID !== lifecycleRuleId)
      assert.strictEqual(kept.length, others.length)
      for (const [index, rule] of kept.entries()) assert.strictEqual(rule, others[index])
      assert.deepStrictEqual(
        written.filter((rule) => rule.ID === lifecycleRuleId),
        [ourRule(wanted)],
      )
      assert.strictEqual(
        plan.change,
        existingDays === undefined ? "added" : existingDays === wanted ? "unchanged" : "updated",
      )
    },
  )

  it("ours is read as ours only when it is exactly as we write it", () => {
    assert.deepStrictEqual(ruleFromS3(ourRule(95)), ExpireEntries(95))
    assert.deepStrictEqual(ruleFromS3({ ...ourRule(95), Prefix: undefined }), ExpireEntries(95))
    const touched = { ...ourRule(95), Transitions: [{ Days: 30, StorageClass: "GLACIER" as const }] }
    assert.strictEqual(ruleFromS3(touched)._tag, "OtherRule")
    assert.strictEqual(planS3([touched], 95).plan.change, "updated")
    assert.strictEqual(ruleFromS3({ ...ourRule(95), Status: "Disabled" })._tag, "OtherRule")
    assert.strictEqual(ruleFromS3({ ...ourRule(0) })._tag, "OtherRule")
  })

  it("a rule S3 did not give cannot be written back to S3", () => {
    const foreign = ruleFromS3({ ID: "x", Status: "Enabled", Filter: {} })
    assert.isTrue(Option.isSome(ruleToS3(foreign)))
    assert.isTrue(Option.isNone(ruleToS3({ ...foreign })))
  })

  it("the default transition size is written back as read, and shown beside the rules", () => {
    const { request } = planS3([], 95, "varies_by_storage_class")
    assert.strictEqual(request.TransitionDefaultMinimumObjectSize, "varies_by_storage_class")
    assert.strictEqual(
      JSON.stringify(
        configurationAsStored(
          configurationFromS3({
            TransitionDefaultMinimumObjectSize: "varies_by_storage_class",
            Rules: [ourRule(95)],
          }),
        ),
      ),
      JSON.stringify({ rules: [ourRule(95)], transitionDefaultMinimumObjectSize: "varies_by_storage_class" }),
    )
    assert.isUndefined(planS3([], 95).request.TransitionDefaultMinimumObjectSize)
  })

  it("other enabled rules that expire the index prefix are named; narrower or disabled ones are not", () => {
    const rules: Array<S3LifecycleRule> = [
      { ID: "bucket", Status: "Enabled", Filter: {}, Expiration: { Days: 10 } },
      { ID: "webhooks", Status: "Enabled", Filter: { Prefix: "webhooks/" }, Expiration: { Days: 10 } },
      { ID: "legacy", Status: "Enabled", Prefix: "webhooks/github", Expiration: { Days: 10 } },
      { ID: "off", Status: "Disabled", Filter: { Prefix: "" }, Expiration: { Days: 10 } },
      { ID: "requests", Status: "Enabled", Filter: { Prefix: "requests/" }, Expiration: { Days: 10 } },
      {
        ID: "tagged",
        Status: "Enabled",
        Filter: { Tag: { Key: "a", Value: "b" } },
        Expiration: { Days: 10 },
      },
      {
        ID: "moves",
        Status: "Enabled",
        Filter: { Prefix: "" },
        Transitions: [{ Days: 10, StorageClass: "GLACIER" }],
      },
    ]
    assert.deepStrictEqual(planS3(rules, 95).plan.overlapping, ["bucket", "webhooks", "legacy"])
  })
})
