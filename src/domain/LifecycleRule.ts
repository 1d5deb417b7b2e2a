import { Option, Schema } from "effect"
import { runIndexPrefix } from "./RunIndexKey.js"

/** The id of the one rule run-index owns in a bucket's lifecycle configuration; others are never touched. */
export const lifecycleRuleId = "run-index-expire-entries"

/**
 * Days after which the rule expires an entry, counted by S3 from the object's creation: five more
 * than the default retention, so an entry outlives its `expiresAt` and a late webhook still finds it.
 */
export const defaultLifecycleDays = 95

export const LifecycleDays = Schema.Number.pipe(Schema.int(), Schema.between(1, 36_500)).annotations({
  identifier: "LifecycleDays",
  description: "a whole number of days between 1 and 36500",
})
export type LifecycleDays = typeof LifecycleDays.Type

/**
 * One rule of a bucket lifecycle configuration, in S3's own field names (`ID`, `Status`, `Filter`,
 * `Expiration`, …). Rules are carried as the store gave them, so rules this project did not write
 * are written back exactly as they were read.
 */
export interface LifecycleRule {
  readonly ID?: string | undefined
  readonly [field: string]: unknown
}

/** A bucket's whole lifecycle configuration: S3 replaces it as a whole on every write. */
export interface LifecycleConfiguration {
  readonly rules: ReadonlyArray<LifecycleRule>
  /** S3's `TransitionDefaultMinimumObjectSize`, written back as read so a write does not reset it. */
  readonly transitionDefaultMinimumObjectSize?: string | undefined
}

/** The rule that expires every index entry `days` after it was written. */
export const runIndexRule = (days: LifecycleDays): LifecycleRule => ({
  ID: lifecycleRuleId,
  Status: "Enabled",
  Filter: { Prefix: runIndexPrefix },
  Expiration: { Days: days },
})

export type LifecycleChange = "added" | "updated" | "unchanged"

export interface LifecyclePlan {
  readonly change: LifecycleChange
  /** The configuration to write: every other rule as it was, in its place, and ours. */
  readonly configuration: LifecycleConfiguration
  /** Ids of other enabled rules that also expire objects under the index prefix (S3 applies the earliest). */
  readonly overlapping: ReadonlyArray<string>
}

/** JSON-like values equal field by field; a field holding `undefined` counts as absent. */
const sameValue = (left: unknown, right: unknown): boolean => {
  if (left === right) return true
  if (left instanceof Date || right instanceof Date) {
    return left instanceof Date && right instanceof Date && left.getTime() === right.getTime()
  }
  if (Array.isArray(left) || Array.isArray(right)) {
    return (
      Array.isArray(left) &&
      Array.isArray(right) &&
      left.length === right.length &&
      left.every((item, index) => sameValue(item, right[index]))
    )
  }
  if (typeof left !== "object" || typeof right !== "object" || left === null || right === null) return false
  const fields = (value: object) =>
    Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .map(([name]) => name)
      .sort()
  const leftFields = fields(left)
  const rightFields = fields(right)
  return (
    sameValue(leftFields, rightFields) &&
    leftFields.every((name) =>
      sameValue((left as Record<string, unknown>)[name], (right as Record<string, unknown>)[name]),
    )
  )
}

const field = (value: unknown, name: string): unknown =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>)[name] : undefined

/**
 * The prefix a rule applies to: `Filter.Prefix`, `Filter.And.Prefix` or the older rule-level
 * `Prefix`; `""` for a rule on the whole bucket; `None` when a filter narrows it some other way only
 * (tags, object size), which cannot be judged from the key alone.
 */
const prefixOf = (rule: LifecycleRule): Option.Option<string> => {
  const filter = rule.Filter
  if (filter === undefined) return Option.some(typeof rule.Prefix === "string" ? rule.Prefix : "")
  const direct = field(filter, "Prefix")
  if (typeof direct === "string") return Option.some(direct)
  const and = field(filter, "And")
  if (and !== undefined) {
    const nested = field(and, "Prefix")
    return typeof nested === "string" && field(and, "Tags") === undefined
      ? Option.some(nested)
      : Option.none()
  }
  return Object.values(filter as object).every((value) => value === undefined)
    ? Option.some("")
    : Option.none()
}

/** Another enabled rule that expires current objects under the index prefix. */
const expiresIndexToo = (rule: LifecycleRule): boolean =>
  rule.ID !== lifecycleRuleId &&
  rule.Status === "Enabled" &&
  rule.Expiration !== undefined &&
  Option.exists(prefixOf(rule), (prefix) => runIndexPrefix.startsWith(prefix))

/**
 * Adds the run index rule to a configuration, or brings an existing rule with its id up to date,
 * leaving every other rule exactly as it was and where it was. `unchanged` means there is nothing
 * to write: the rule is already there as it would be written.
 */
export const planLifecycle = (
  current: Option.Option<LifecycleConfiguration>,
  days: LifecycleDays,
): LifecyclePlan => {
  const wanted = runIndexRule(days)
  const existing = Option.match(current, {
    onNone: (): ReadonlyArray<LifecycleRule> => [],
    onSome: (configuration) => configuration.rules,
  })
  const ours = existing.filter((rule) => rule.ID === lifecycleRuleId)
  const change: LifecycleChange =
    ours.length === 0 ? "added" : ours.length === 1 && sameValue(ours[0], wanted) ? "unchanged" : "updated"
  const rules =
    ours.length === 0
      ? [...existing, wanted]
      : existing.flatMap((rule, index) =>
          rule.ID !== lifecycleRuleId ? [rule] : existing.indexOf(ours[0]!) === index ? [wanted] : [],
        )
  const transitionDefaultMinimumObjectSize =
    Option.getOrUndefined(current)?.transitionDefaultMinimumObjectSize
  return {
    change,
    configuration: {
      rules,
      ...(transitionDefaultMinimumObjectSize === undefined ? {} : { transitionDefaultMinimumObjectSize }),
    },
    overlapping: existing.filter(expiresIndexToo).map((rule) => rule.ID ?? "(a rule without an id)"),
  }
}

/** The run index rule in a configuration, if it has one. */
export const findRunIndexRule = (configuration: LifecycleConfiguration): Option.Option<LifecycleRule> =>
  Option.fromNullable(configuration.rules.find((rule) => rule.ID === lifecycleRuleId))
