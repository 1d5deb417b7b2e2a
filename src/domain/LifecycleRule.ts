import { Option, Schema } from "effect"
import { runIndexPrefix } from "./RunIndexKey.js"

/** The id of the one rule run-index owns in a bucket's lifecycle configuration; others are never touched. */
export const lifecycleRuleId = "run-index-expire-entries"

/**
 * Days after which the rule expires an entry, counted by the store from the object's creation: five
 * more than the default retention, so an entry outlives its `expiresAt` and a late webhook still finds it.
 */
export const defaultLifecycleDays = 95

export const LifecycleDays = Schema.Number.pipe(Schema.int(), Schema.between(1, 36_500)).annotations({
  identifier: "LifecycleDays",
  description: "a whole number of days between 1 and 36500",
})
export type LifecycleDays = typeof LifecycleDays.Type

/**
 * Ours, exactly as run-index writes it: enabled, under the id `lifecycleRuleId`, it deletes every
 * index entry (every object under `runIndexPrefix`) `days` after the entry was written.
 */
export interface ExpireEntries {
  readonly _tag: "ExpireEntries"
  readonly days: LifecycleDays
}
export const ExpireEntries = (days: LifecycleDays): ExpireEntries => ({ _tag: "ExpireEntries", days })

/**
 * Any other rule of the configuration — someone else's, or one under our id that is not ours
 * exactly as we write it. Run-index never changes it (the store writes it back as it read it) and
 * describes it only by what decides whether it also deletes index entries.
 */
export interface OtherRule {
  readonly _tag: "OtherRule"
  readonly id: Option.Option<string>
  readonly enabled: boolean
  /**
   * The key prefix it applies to (`""` for the whole bucket); `None` when it is narrowed some other
   * way too (tags, object size), which cannot be judged from a key alone.
   */
  readonly prefix: Option.Option<string>
  /** Whether it expires objects (the store applies the earliest of several expirations). */
  readonly expires: boolean
}

/** One rule of a bucket's lifecycle configuration, as far as run-index is concerned. */
export type LifecycleRule = ExpireEntries | OtherRule

/** A bucket's whole lifecycle configuration: the store replaces it as a whole on every write. */
export interface LifecycleConfiguration {
  readonly rules: ReadonlyArray<LifecycleRule>
  /** S3's `TransitionDefaultMinimumObjectSize`, written back as read so a write does not reset it. */
  readonly transitionDefaultMinimumObjectSize?: string | undefined
}

/** Whether a rule is ours or stands where ours would (its id is ours). */
export const isRunIndexRule = (rule: LifecycleRule): boolean =>
  rule._tag === "ExpireEntries" || Option.contains(rule.id, lifecycleRuleId)

export type LifecycleChange = "added" | "updated" | "unchanged"

export interface LifecyclePlan {
  readonly change: LifecycleChange
  /** The configuration to write: every other rule as it was, in its place, and ours. */
  readonly configuration: LifecycleConfiguration
  /** Ids of other enabled rules that also expire objects under the index prefix (the store applies the earliest). */
  readonly overlapping: ReadonlyArray<string>
}

/** Another enabled rule that expires current objects under the index prefix. */
const expiresIndexToo = (rule: LifecycleRule): rule is OtherRule =>
  rule._tag === "OtherRule" &&
  !isRunIndexRule(rule) &&
  rule.enabled &&
  rule.expires &&
  Option.exists(rule.prefix, (prefix) => runIndexPrefix.startsWith(prefix))

/**
 * Adds the run index rule to a configuration, or brings an existing rule with its id up to date,
 * leaving every other rule exactly as it was and where it was. `unchanged` means there is nothing
 * to write: the rule is already there as it would be written.
 */
export const planLifecycle = (
  current: Option.Option<LifecycleConfiguration>,
  days: LifecycleDays,
): LifecyclePlan => {
  const wanted = ExpireEntries(days)
  const existing = Option.match(current, {
    onNone: (): ReadonlyArray<LifecycleRule> => [],
    onSome: (configuration) => configuration.rules,
  })
  const ours = existing.filter(isRunIndexRule)
  const [first] = ours
  const firstIndex = existing.findIndex(isRunIndexRule)
  const change: LifecycleChange =
    first === undefined
      ? "added"
      : ours.length === 1 && first._tag === "ExpireEntries" && first.days === days
        ? "unchanged"
        : "updated"
  const rules =
    first === undefined
      ? [...existing, wanted]
      : existing.flatMap((rule, index) =>
          !isRunIndexRule(rule) ? [rule] : index === firstIndex ? [wanted] : [],
        )
  const transitionDefaultMinimumObjectSize =
    Option.getOrUndefined(current)?.transitionDefaultMinimumObjectSize
  return {
    change,
    configuration: {
      rules,
      ...(transitionDefaultMinimumObjectSize === undefined ? {} : { transitionDefaultMinimumObjectSize }),
    },
    overlapping: existing
      .filter(expiresIndexToo)
      .map((rule) => Option.getOrElse(rule.id, () => "(a rule without an id)")),
  }
}

/** The run index rule in a configuration (the first rule under its id), if it has one. */
export const findRunIndexRule = (configuration: LifecycleConfiguration): Option.Option<LifecycleRule> =>
  Option.fromNullable(configuration.rules.find(isRunIndexRule))
