import type {
  GetBucketLifecycleConfigurationOutput,
  PutBucketLifecycleConfigurationRequest,
  LifecycleRule as S3LifecycleRule,
  TransitionDefaultMinimumObjectSize,
} from "@aws-sdk/client-s3"
import { Option, Schema } from "effect"
import {
  type ExpireEntries,
  type LifecycleConfiguration,
  LifecycleDays,
  type LifecycleRule,
  lifecycleRuleId,
  type OtherRule,
} from "../../domain/LifecycleRule.js"
import { runIndexPrefix } from "../../domain/RunIndexKey.js"

/** Our rule in S3's field names. */
const expireEntriesInS3 = (days: number): S3LifecycleRule => ({
  ID: lifecycleRuleId,
  Status: "Enabled",
  Filter: { Prefix: runIndexPrefix },
  Expiration: { Days: days },
})

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
  const definedFields = (value: object) =>
    Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .sort(([one], [other]) => (one < other ? -1 : one > other ? 1 : 0))
  const leftFields = definedFields(left)
  const rightFields = definedFields(right)
  return (
    leftFields.length === rightFields.length &&
    leftFields.every(
      ([name, value], index) => name === rightFields[index]![0] && sameValue(value, rightFields[index]![1]),
    )
  )
}

/**
 * The prefix an S3 rule applies to: `Filter.Prefix`, `Filter.And.Prefix` or the older rule-level
 * `Prefix`; `""` for a rule on the whole bucket; `None` when a filter narrows it some other way only
 * (tags, object size), which cannot be judged from the key alone.
 */
const prefixOf = (rule: S3LifecycleRule): Option.Option<string> => {
  const filter = rule.Filter
  if (filter === undefined) return Option.some(rule.Prefix ?? "")
  if (filter.Prefix !== undefined) return Option.some(filter.Prefix)
  if (filter.And !== undefined) {
    return filter.And.Prefix !== undefined && filter.And.Tags === undefined
      ? Option.some(filter.And.Prefix)
      : Option.none()
  }
  return Object.values(filter).every((value) => value === undefined) ? Option.some("") : Option.none()
}

/** Ours as S3 gave it: kept so it is shown with S3's field order, as read. */
class StoredExpireEntries implements ExpireEntries {
  readonly _tag = "ExpireEntries"
  // Private, so the domain's view of the rule (its fields, equality, JSON) is only `days`.
  readonly #s3: S3LifecycleRule
  constructor(
    readonly days: LifecycleDays,
    s3: S3LifecycleRule,
  ) {
    this.#s3 = s3
  }
  get s3(): S3LifecycleRule {
    return this.#s3
  }
}

/** A rule S3 gave that is not ours exactly as we write it: described for the domain, written back as read. */
class KeptS3Rule implements OtherRule {
  readonly _tag = "OtherRule"
  readonly id: Option.Option<string>
  readonly enabled: boolean
  readonly prefix: Option.Option<string>
  readonly expires: boolean
  readonly #s3: S3LifecycleRule
  constructor(s3: S3LifecycleRule) {
    this.#s3 = s3
    this.id = Option.fromNullable(s3.ID)
    this.enabled = s3.Status === "Enabled"
    this.prefix = prefixOf(s3)
    this.expires = s3.Expiration !== undefined
  }
  get s3(): S3LifecycleRule {
    return this.#s3
  }
}

const isLifecycleDays = Schema.is(LifecycleDays)

/** An S3 rule in the domain's words: ours when it is exactly as we write it, any other kept as it came. */
export const ruleFromS3 = (rule: S3LifecycleRule): LifecycleRule => {
  const days = rule.Expiration?.Days
  return days !== undefined && isLifecycleDays(days) && sameValue(rule, expireEntriesInS3(days))
    ? new StoredExpireEntries(days, rule)
    : new KeptS3Rule(rule)
}

/** A rule in S3's field names; `None` for a rule of another store, which S3 cannot write back as it was. */
export const ruleToS3 = (rule: LifecycleRule): Option.Option<S3LifecycleRule> =>
  rule instanceof StoredExpireEntries || rule instanceof KeptS3Rule
    ? Option.some(rule.s3)
    : rule._tag === "ExpireEntries"
      ? Option.some(expireEntriesInS3(rule.days))
      : Option.none()

/** A bucket's lifecycle configuration as S3 returned it, in the domain's words. */
export const configurationFromS3 = (
  response: GetBucketLifecycleConfigurationOutput,
): LifecycleConfiguration => ({
  rules: (response.Rules ?? []).map(ruleFromS3),
  transitionDefaultMinimumObjectSize: response.TransitionDefaultMinimumObjectSize,
})

/** The configuration as `PutBucketLifecycleConfiguration` takes it; `None` if a rule is not S3's to write. */
export const configurationToS3 = (
  configuration: LifecycleConfiguration,
): Option.Option<Omit<PutBucketLifecycleConfigurationRequest, "Bucket">> =>
  Option.map(Option.all(configuration.rules.map(ruleToS3)), (rules) => {
    const size = configuration.transitionDefaultMinimumObjectSize
    return {
      LifecycleConfiguration: { Rules: rules },
      // S3's own value, read from the bucket and written back unchanged.
      ...(size === undefined
        ? {}
        : { TransitionDefaultMinimumObjectSize: size as TransitionDefaultMinimumObjectSize }),
    }
  })

/** A rule as S3 stores it (as the domain has it when S3 did not give it), for people to read. */
export const ruleAsStored = (rule: LifecycleRule): unknown => Option.getOrElse(ruleToS3(rule), () => rule)

/** The configuration as `lifecycle show` and `apply` print it: S3's rules under `rules`. */
export const configurationAsStored = (configuration: LifecycleConfiguration): unknown => ({
  rules: configuration.rules.map(ruleAsStored),
  ...(configuration.transitionDefaultMinimumObjectSize === undefined
    ? {}
    : { transitionDefaultMinimumObjectSize: configuration.transitionDefaultMinimumObjectSize }),
})
