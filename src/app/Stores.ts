import { join } from "node:path"
import type { FileSystem } from "@effect/platform/FileSystem"
import type { Path } from "@effect/platform/Path"
import { type ConfigError, Duration, Effect, Layer, Option } from "effect"
import * as LocalDeliverySpool from "../adapters/LocalDeliverySpool.js"
import * as ObjectDeliveryLog from "../adapters/ObjectDeliveryLog.js"
import * as ObjectDispatchLanes from "../adapters/ObjectDispatchLanes.js"
import * as ObjectRequestStore from "../adapters/ObjectRequestStore.js"
import * as ObjectRunIndexStore from "../adapters/ObjectRunIndexStore.js"
import * as DirectoryObjectStore from "../adapters/objects/DirectoryObjectStore.js"
import type { ObjectStore, Paging } from "../adapters/objects/ObjectStore.js"
import * as UnsupportedBucketLifecycle from "../adapters/objects/UnsupportedBucketLifecycle.js"
import * as Settings from "../adapters/Settings.js"
import type { BucketLifecycle } from "../ports/BucketLifecycle.js"
import type { DeliveryLog } from "../ports/DeliveryLog.js"
import { DeliverySpool } from "../ports/DeliverySpool.js"
import { type DispatchLanes, LaneSettings } from "../ports/DispatchLanes.js"
import type { RequestStore } from "../ports/RequestStore.js"
import { Retention } from "../ports/Retention.js"
import type { RunIndexStore } from "../ports/RunIndexStore.js"

export interface StoreChoice {
  readonly bucket: Option.Option<string>
  readonly dataDirectory: string
  readonly region: Option.Option<string>
  readonly endpoint: Option.Option<string>
  /** How long a directory-store compare-and-set waits for a lock; the store's default when absent. */
  readonly lockWait?: Duration.Duration
  /** Per attempt of an S3 call; the client's defaults when absent. */
  readonly s3ConnectionTimeout?: Duration.Duration
  readonly s3RequestTimeout?: Duration.Duration
  /** Listing page and delete batch sizes; 1,000 each (S3's maxima) when absent. */
  readonly paging?: Paging
}

/** Everything `fromEnvironment` provides: the stores, their settings and the spool. */
export type StoreServices =
  | RunIndexStore
  | RequestStore
  | DeliveryLog
  | DispatchLanes
  | LaneSettings
  | ObjectStore
  | BucketLifecycle
  | Retention
  | DeliverySpool

/**
 * The object store a deployment asked for, S3 when a bucket is named, else the directory (over the
 * platform's file system), and its lifecycle configuration (the bucket's; a directory has none).
 */
export const storeLayer = (
  choice: StoreChoice,
): Layer.Layer<ObjectStore | BucketLifecycle, never, FileSystem | Path> =>
  Option.match(choice.bucket, {
    onNone: () =>
      Layer.merge(
        DirectoryObjectStore.layer(choice.dataDirectory, {
          ...choice.paging,
          ...(choice.lockWait === undefined ? {} : { lockWait: choice.lockWait }),
        }),
        UnsupportedBucketLifecycle.layer(`the directory store ${choice.dataDirectory}`),
      ),
    onSome: (bucket) =>
      // Loaded on demand: the AWS SDK is a large import that directory deployments never need.
      Layer.unwrapEffect(
        Effect.promise(async () => {
          const [S3Client, S3ObjectStore, S3BucketLifecycle] = await Promise.all([
            import("../adapters/objects/S3Client.js"),
            import("../adapters/objects/S3ObjectStore.js"),
            import("../adapters/objects/S3BucketLifecycle.js"),
          ])
          return Layer.merge(
            S3ObjectStore.layer({ ...choice.paging, bucket }),
            S3BucketLifecycle.layer({ bucket }),
          ).pipe(
            Layer.provide(
              S3Client.layer({
                ...Option.match(choice.region, { onNone: () => ({}), onSome: (region) => ({ region }) }),
                ...Option.match(choice.endpoint, {
                  onNone: () => ({}),
                  onSome: (endpoint) => ({ endpoint }),
                }),
                ...(choice.s3ConnectionTimeout === undefined
                  ? {}
                  : { connectionTimeout: choice.s3ConnectionTimeout }),
                ...(choice.s3RequestTimeout === undefined ? {} : { requestTimeout: choice.s3RequestTimeout }),
              }),
            ),
          )
        }),
      ),
  })

/** The object store a deployment asked for: S3 when a bucket is named, else the directory. */
export const objectStoreLayer = (choice: StoreChoice): Layer.Layer<ObjectStore, never, FileSystem | Path> =>
  storeLayer(choice)

export const storeChoice: Effect.Effect<StoreChoice, ConfigError.ConfigError> = Effect.all({
  bucket: Settings.bucket,
  dataDirectory: Settings.dataDirectory,
  region: Settings.awsRegion,
  endpoint: Settings.s3Endpoint,
  lockWait: Settings.lockWait,
  s3ConnectionTimeout: Settings.s3ConnectionTimeout,
  s3RequestTimeout: Settings.s3RequestTimeout,
})

/**
 * The local spool for deliveries the store cannot park: `RUN_INDEX_SPOOL_DIR`, else `spool` under the
 * data directory; none when `RUN_INDEX_SPOOL_MAX_DELIVERIES` is 0.
 */
export const spoolFromEnvironment: Layer.Layer<DeliverySpool, ConfigError.ConfigError, FileSystem | Path> =
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const maxDeliveries = yield* Settings.spoolMaxDeliveries
      if (maxDeliveries === 0) return Layer.succeed(DeliverySpool, DeliverySpool.defaultValue())
      const directory = Option.getOrElse(yield* Settings.spoolDirectory, () => "")
      const dataDirectory = yield* Settings.dataDirectory
      return LocalDeliverySpool.layer({
        directory: directory === "" ? join(dataDirectory, "spool") : directory,
        maxDeliveries,
        maxBytes: yield* Settings.spoolMaxBytes,
      })
    }),
  )

/** The run index and request documents over one object store, and the retention, all from the environment. */
export const fromEnvironment: Layer.Layer<StoreServices, ConfigError.ConfigError, FileSystem | Path> =
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const choice = yield* storeChoice
      const days = yield* Settings.retentionDays
      const lanes = {
        ...LaneSettings.defaultValue(),
        lateRunWindowMillis: Duration.toMillis(yield* Settings.laneWindow),
        waitMillis: Duration.toMillis(yield* Settings.laneWait),
      }
      return Layer.mergeAll(
        ObjectRunIndexStore.layer,
        ObjectRequestStore.layer,
        ObjectDeliveryLog.layer,
        ObjectDispatchLanes.layer,
      ).pipe(
        Layer.provideMerge(storeLayer(choice)),
        Layer.merge(Layer.succeed(Retention, { days })),
        Layer.merge(Layer.succeed(LaneSettings, lanes)),
        Layer.merge(spoolFromEnvironment),
      )
    }),
  )
