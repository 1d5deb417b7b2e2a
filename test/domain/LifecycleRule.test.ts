import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import fc from "fast-check"
import {
  type LifecycleConfiguration,
  type LifecycleRule,
  lifecycleRuleId,
  planLifecycle,
  runIndexRule,
} from "../../src/domain/LifecycleRule.js"

/** Rules of the shapes S3 returns, none with our id. */
const otherRule: fc.Arbitrary<LifecycleRule> = fc.record({
  ID: fc.string({ minLength: 1, maxLength: 12 }).filter((id) => id !== lifecycleRuleId),
  Status: fc.constantFrom("Enabled", "Disabled"),
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
const configuration = (rules: ReadonlyArray<LifecycleRule>): Option.Option<LifecycleConfiguration> =>
  Option.some({ rules })

describe("the run index lifecycle rule", () => {
  it.prop(
    "merging keeps every other rule, in order, and has our rule exactly once",
    [fc.array(otherRule, { maxLength: 6 }), fc.option(days, { nil: undefined }), days],
    ([others, existingDays, wanted]) => {
      const current =
        existingDays === undefined
          ? others
          : [...others.slice(0, 1), runIndexRule(existingDays), ...others.slice(1)]
      const plan = planLifecycle(configuration(current), wanted)
      assert.deepStrictEqual(
        plan.configuration.rules.filter((rule) => rule.ID !== lifecycleRuleId),
        others,
      )
      assert.deepStrictEqual(
        plan.configuration.rules.filter((rule) => rule.ID === lifecycleRuleId),
        [runIndexRule(wanted)],
      )
      assert.strictEqual(
        plan.change,
        existingDays === undefined ? "added" : existingDays === wanted ? "unchanged" : "updated",
      )
    },
  )

  it.prop(
    "applying the plan's configuration again changes nothing",
    [fc.array(otherRule, { maxLength: 6 }), days],
    ([others, wanted]) => {
      const once = planLifecycle(configuration(others), wanted)
      const twice = planLifecycle(Option.some(once.configuration), wanted)
      assert.strictEqual(twice.change, "unchanged")
      assert.deepStrictEqual(twice.configuration, once.configuration)
    },
  )

  it("a bucket with no configuration gets one with our rule only, and keeps its default transition size", () => {
    assert.deepStrictEqual(planLifecycle(Option.none(), 95).configuration, { rules: [runIndexRule(95)] })
    const withSize = planLifecycle(
      Option.some({ rules: [], transitionDefaultMinimumObjectSize: "varies_by_storage_class" }),
      95,
    )
    assert.strictEqual(withSize.configuration.transitionDefaultMinimumObjectSize, "varies_by_storage_class")
  })

  it("our rule with a field that another tool added is brought back to ours", () => {
    const touched = { ...runIndexRule(95), Transitions: [{ Days: 30, StorageClass: "GLACIER" }] }
    assert.strictEqual(planLifecycle(configuration([touched]), 95).change, "updated")
  })

  it("other enabled rules that expire the index prefix are named; narrower or disabled ones are not", () => {
    const rules: Array<LifecycleRule> = [
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
    assert.deepStrictEqual(planLifecycle(configuration(rules), 95).overlapping, [
      "bucket",
      "webhooks",
      "legacy",
    ])
  })
})
