import { Context, Data, type Effect, type Option } from "effect"
import type { LifecycleConfiguration, LifecycleRule } from "../domain/LifecycleRule.js"
import type { StoreError } from "./StoreError.js"

/** What a store says about its lifecycle rules. */
export type LifecycleRead = Data.TaggedEnum<{
  /** A bucket: its configuration, `None` when it has none at all. */
  Bucket: {
    readonly location: string
    readonly configuration: Option.Option<LifecycleConfiguration>
  }
  /** A store without lifecycle rules (a directory, memory): expired entries are removed by `sweep`. */
  NotSupported: { readonly store: string }
}>
export const LifecycleRead = Data.taggedEnum<LifecycleRead>()

/** The bucket's lifecycle configuration, where the store has one (S3 and compatible servers). */
export class BucketLifecycle extends Context.Tag("run-index/BucketLifecycle")<
  BucketLifecycle,
  {
    /** Reads the whole configuration. */
    readonly read: Effect.Effect<LifecycleRead, StoreError>
    /**
     * Replaces the whole configuration, as S3 does: write only what a read was merged into. Fails
     * with reason `NotConfigured` on a store without lifecycle rules.
     */
    readonly write: (configuration: LifecycleConfiguration) => Effect.Effect<void, StoreError>
    /**
     * A rule as `write` would store it, in the store's own terms, as plain data: what an operator
     * sees with the store's own tools. Rules the store did not read are shown as the domain has them.
     */
    readonly ruleAsStored: (rule: LifecycleRule) => unknown
    /** A whole configuration as `write` would store it, as plain data. */
    readonly configurationAsStored: (configuration: LifecycleConfiguration) => unknown
  }
>() {}
