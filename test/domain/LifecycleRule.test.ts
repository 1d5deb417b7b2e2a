import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import fc from "fast-check"
import {
  ExpireEntries,
  isRunIndexRule,
  type LifecycleConfiguration,
  type LifecycleRule,
  lifecycleRuleId,
  type OtherRule,
  planLifecycle,
} from "../../src/domain/LifecycleRule.js"

/** Someone else's rule, none under our id. */
const otherRule: fc.Arbitrary<OtherRule> = fc.record({
  _tag: fc.constant("OtherRule" as const),
  id: fc
    .option(fc.string({ minLength: 1, maxLength: 12 }), { nil: undefined })
    .filter((id) => id !== lifecycleRuleId)
    .map(Option.fromNullable),
  enabled: fc.boolean(),
  prefix: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }).map(Option.fromNullable),
  expires: fc.boolean(),
})
const days = fc.integer({ min: 1, max: 36_500 })
const configuration = (rules: ReadonlyArray<LifecycleRule>): Option.Option<LifecycleConfiguration> =>
  Option.some({ rules })
const other = (id: string, fields: Partial<OtherRule>): OtherRule => ({
  _tag: "OtherRule",
  id: Option.some(id),
  enabled: true,
  prefix: Option.some(""),
  expires: true,
  ...fields,
})

describe("the run index lifecycle rule", () => {
  it.prop(
    "merging keeps every other rule, in order, and has our rule exactly once",
    [fc.array(otherRule, { maxLength: 6 }), fc.option(days, { nil: undefined }), days],
    ([others, existingDays, wanted]) => {
      const current =
        existingDays === undefined
          ? others
          : [...others.slice(0, 1), ExpireEntries(existingDays), ...others.slice(1)]
      const plan = planLifecycle(configuration(current), wanted)
      assert.deepStrictEqual(
        plan.configuration.rules.filter((rule) => !isRunIndexRule(rule)),
        others,
      )
      assert.deepStrictEqual(plan.configuration.rules.filter(isRunIndexRule), [ExpireEntries(wanted)])
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
    assert.deepStrictEqual(planLifecycle(Option.none(), 95).configuration, { rules: [ExpireEntries(95)] })
    const withSize = planLifecycle(
      Option.some({ rules: [], transitionDefaultMinimumObjectSize: "varies_by_storage_class" }),
      95,
    )
    assert.strictEqual(withSize.configuration.transitionDefaultMinimumObjectSize, "varies_by_storage_class")
  })

  it("a rule under our id that is not ours exactly is replaced by ours, in its place, and duplicates go", () => {
    const touched = other(lifecycleRuleId, { prefix: Option.some("webhooks/") })
    const logs = other("logs", { prefix: Option.some("logs/") })
    const plan = planLifecycle(configuration([logs, touched, ExpireEntries(95)]), 95)
    assert.strictEqual(plan.change, "updated")
    assert.deepStrictEqual(plan.configuration.rules, [logs, ExpireEntries(95)])
    assert.deepStrictEqual(plan.overlapping, [])
  })

  it("other enabled rules that expire the index prefix are named; narrower or disabled ones are not", () => {
    const rules: Array<LifecycleRule> = [
      other("bucket", {}),
      other("webhooks", { prefix: Option.some("webhooks/") }),
      { ...other("", {}), id: Option.none() },
      other("off", { enabled: false }),
      other("requests", { prefix: Option.some("requests/") }),
      other("tagged", { prefix: Option.none() }),
      other("moves", { expires: false }),
    ]
    assert.deepStrictEqual(planLifecycle(configuration(rules), 95).overlapping, [
      "bucket",
      "webhooks",
      "(a rule without an id)",
    ])
  })
})
