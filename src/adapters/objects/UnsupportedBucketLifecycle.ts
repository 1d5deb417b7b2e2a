import { Effect, Layer } from "effect"
import { BucketLifecycle, LifecycleRead } from "../../ports/BucketLifecycle.js"
import { StoreError } from "../../ports/StoreError.js"

/** For stores without lifecycle rules (a directory, memory): reads say so, writes fail `NotConfigured`. */
export const layer = (store: string): Layer.Layer<BucketLifecycle> =>
  Layer.succeed(
    BucketLifecycle,
    BucketLifecycle.of({
      read: Effect.succeed(LifecycleRead.NotSupported({ store })),
      write: () =>
        Effect.fail(
          new StoreError({
            reason: "NotConfigured",
            operation: "putLifecycle",
            detail: `${store} has no lifecycle rules; remove expired entries with run-index sweep`,
          }),
        ),
      // Nothing is stored: rules and configurations are shown as the domain has them.
      ruleAsStored: (rule) => rule,
      configurationAsStored: (configuration) => configuration,
    }),
  )
