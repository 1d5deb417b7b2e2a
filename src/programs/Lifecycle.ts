import { Data, Effect, Option } from "effect"
import {
  findRunIndexRule,
  type LifecycleChange,
  type LifecycleConfiguration,
  type LifecycleDays,
  type LifecycleRule,
  planLifecycle,
} from "../domain/LifecycleRule.js"
import { BucketLifecycle } from "../ports/BucketLifecycle.js"
import { Retention } from "../ports/Retention.js"

/** What `showLifecycle` found. */
export type LifecycleView = Data.TaggedEnum<{
  Bucket: {
    readonly location: string
    /** `None` when the bucket has no lifecycle configuration at all. */
    readonly configuration: Option.Option<LifecycleConfiguration>
    /** The run index rule, when the configuration has it. */
    readonly rule: Option.Option<LifecycleRule>
  }
  NotSupported: { readonly store: string }
}>
export const LifecycleView = Data.taggedEnum<LifecycleView>()

/** What `applyLifecycle` did, or on a dry run would do. */
export type LifecycleApplied = Data.TaggedEnum<{
  Bucket: {
    readonly location: string
    readonly change: LifecycleChange
    /** The whole configuration as written (or as it would be written on a dry run). */
    readonly configuration: LifecycleConfiguration
    /** Whether anything was written: never on a dry run, never when nothing changes. */
    readonly written: boolean
    /** Other enabled rules that also expire index entries (S3 applies the earliest). */
    readonly overlapping: ReadonlyArray<string>
    /** Whether the rule deletes entries before their `expiresAt` (fewer days than the retention). */
    readonly shorterThanRetention: boolean
  }
  NotSupported: { readonly store: string }
}>
export const LifecycleApplied = Data.taggedEnum<LifecycleApplied>()

/** The store's lifecycle configuration and the run index rule in it. */
export const showLifecycle = Effect.fn("Lifecycle.show")(function* () {
  const lifecycle = yield* BucketLifecycle
  const read = yield* lifecycle.read
  if (read._tag === "NotSupported") return LifecycleView.NotSupported({ store: read.store })
  return LifecycleView.Bucket({
    location: read.location,
    configuration: read.configuration,
    rule: Option.flatMap(read.configuration, findRunIndexRule),
  })
})

/**
 * Adds the rule that expires index entries `days` after they were written, or brings it up to
 * date, merged into the bucket's configuration: read, merge by rule id, write — and write only when
 * something changes, so applying twice writes once.
 */
export const applyLifecycle = Effect.fn("Lifecycle.apply")(function* (options: {
  readonly days: LifecycleDays
  readonly dryRun: boolean
}) {
  const lifecycle = yield* BucketLifecycle
  const retention = yield* Retention
  const read = yield* lifecycle.read
  if (read._tag === "NotSupported") return LifecycleApplied.NotSupported({ store: read.store })
  const plan = planLifecycle(read.configuration, options.days)
  const write = !options.dryRun && plan.change !== "unchanged"
  if (write) yield* lifecycle.write(plan.configuration)
  return LifecycleApplied.Bucket({
    location: read.location,
    change: plan.change,
    configuration: plan.configuration,
    written: write,
    overlapping: plan.overlapping,
    shorterThanRetention: options.days < retention.days,
  })
})
