import {
  CreateBucketCommand,
  GetBucketLifecycleConfigurationCommand,
  type LifecycleRule,
  PutBucketLifecycleConfigurationCommand,
} from "@aws-sdk/client-s3"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Option } from "effect"
import { inject } from "vitest"
import * as S3BucketLifecycle from "../../src/adapters/objects/S3BucketLifecycle.js"
import * as S3Client from "../../src/adapters/objects/S3Client.js"
import * as UnsupportedBucketLifecycle from "../../src/adapters/objects/UnsupportedBucketLifecycle.js"
import { ExpireEntries, lifecycleRuleId } from "../../src/domain/LifecycleRule.js"
import type { BucketLifecycle } from "../../src/ports/BucketLifecycle.js"
import { applyLifecycle, showLifecycle } from "../../src/programs/Lifecycle.js"
import { freshBucketName } from "../support/s3.js"
import { countS3Calls, type S3Calls } from "../support/s3Calls.js"

/** The bucket under test, and the SDK's view of it, bypassing the adapter. */
class Bucket extends Context.Tag("test/Bucket")<
  Bucket,
  {
    readonly rules: Effect.Effect<Option.Option<ReadonlyArray<LifecycleRule>>>
    readonly plant: (rules: Array<LifecycleRule>) => Effect.Effect<void>
    readonly calls: S3Calls
  }
>() {}

/** A fresh bucket on moto, its lifecycle through the adapter, and the raw SDK beside it. */
const bucketOnMoto = (): Layer.Layer<BucketLifecycle | Bucket, Error> => {
  const bucket = freshBucketName()
  const sdk = Layer.effect(
    Bucket,
    Effect.gen(function* () {
      const client = yield* S3Client.S3ClientService
      yield* Effect.promise(() => client.send(new CreateBucketCommand({ Bucket: bucket })))
      return {
        calls: countS3Calls(client),
        rules: Effect.promise(() =>
          client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })).then(
            (response) => Option.some(response.Rules ?? []),
            (error: { name?: string }) => {
              if (error.name === "NoSuchLifecycleConfiguration") return Option.none()
              throw error
            },
          ),
        ),
        plant: (rules) =>
          Effect.promise(() =>
            client.send(
              new PutBucketLifecycleConfigurationCommand({
                Bucket: bucket,
                LifecycleConfiguration: { Rules: rules },
              }),
            ),
          ).pipe(Effect.asVoid),
      }
    }),
  )
  return Layer.merge(S3BucketLifecycle.layer({ bucket }), sdk).pipe(
    Layer.provide(S3Client.layer({ endpoint: inject("motoEndpoint"), region: "us-east-1" })),
  )
}

const logsRule: LifecycleRule = {
  ID: "logs",
  Status: "Enabled",
  Filter: { Prefix: "logs/" },
  Expiration: { Days: 30 },
  AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
}
const archiveRule: LifecycleRule = {
  ID: "archive",
  Status: "Disabled",
  Filter: { And: { Prefix: "archive/", Tags: [{ Key: "keep", Value: "long" }] } },
  Transitions: [{ Days: 10, StorageClass: "GLACIER" }],
  NoncurrentVersionExpiration: { NoncurrentDays: 3 },
}
/** Ours, as the SDK types it. */
const ourRule = (days: number): LifecycleRule => ({
  ID: lifecycleRuleId,
  Status: "Enabled",
  Filter: { Prefix: "webhooks/github/run-index/" },
  Expiration: { Days: days },
})

const puts = (calls: S3Calls) => calls.count("PutBucketLifecycleConfigurationCommand")

describe("bucket lifecycle on moto", () => {
  it.effect("on a bucket with no configuration, apply adds the rule and show finds it", () =>
    Effect.gen(function* () {
      const bucket = yield* Bucket
      const before = yield* showLifecycle()
      assert.isTrue(before._tag === "Bucket" && Option.isNone(before.configuration))
      const applied = yield* applyLifecycle({ days: 95, dryRun: false })
      assert.deepInclude(applied, { _tag: "Bucket", change: "added", written: true })
      assert.deepStrictEqual(yield* bucket.rules, Option.some([ourRule(95)]))
      const after = yield* showLifecycle()
      assert.deepStrictEqual(
        after._tag === "Bucket" ? Option.getOrNull(after.rule) : after,
        ExpireEntries(95),
      )
    }).pipe(Effect.provide(bucketOnMoto())),
  )

  it.effect("two unrelated rules are kept exactly as they were, in their places, and ours is added", () =>
    Effect.gen(function* () {
      const bucket = yield* Bucket
      yield* bucket.plant([logsRule, archiveRule])
      const before = Option.getOrThrow(yield* bucket.rules)
      assert.strictEqual(before.length, 2)
      const applied = yield* applyLifecycle({ days: 95, dryRun: false })
      assert.deepInclude(applied, { change: "added", written: true })
      assert.deepStrictEqual(yield* bucket.rules, Option.some([...before, ourRule(95)]))
      assert.deepStrictEqual(Option.getOrThrow(yield* bucket.rules).slice(0, 2), [logsRule, archiveRule])
    }).pipe(Effect.provide(bucketOnMoto())),
  )

  it.effect("a rule with our id and other days is updated in its place; the others are untouched", () =>
    Effect.gen(function* () {
      const bucket = yield* Bucket
      yield* bucket.plant([logsRule, ourRule(30), archiveRule])
      const applied = yield* applyLifecycle({ days: 120, dryRun: false })
      assert.deepInclude(applied, { change: "updated", written: true })
      assert.deepStrictEqual(yield* bucket.rules, Option.some([logsRule, ourRule(120), archiveRule]))
    }).pipe(Effect.provide(bucketOnMoto())),
  )

  it.effect("a second apply finds the rule up to date and writes nothing", () =>
    Effect.gen(function* () {
      const bucket = yield* Bucket
      yield* bucket.plant([logsRule])
      const plantingPuts = puts(bucket.calls)
      const first = yield* applyLifecycle({ days: 95, dryRun: false })
      const written = yield* bucket.rules
      const second = yield* applyLifecycle({ days: 95, dryRun: false })
      assert.deepInclude(first, { change: "added", written: true })
      assert.deepInclude(second, { change: "unchanged", written: false })
      assert.strictEqual(puts(bucket.calls) - plantingPuts, 1)
      assert.deepStrictEqual(yield* bucket.rules, written)
    }).pipe(Effect.provide(bucketOnMoto())),
  )

  it.effect("a dry run returns the configuration it would write and writes nothing", () =>
    Effect.gen(function* () {
      const bucket = yield* Bucket
      const onEmpty = yield* applyLifecycle({ days: 95, dryRun: true })
      assert.deepInclude(onEmpty, { change: "added", written: false })
      assert.deepStrictEqual(onEmpty._tag === "Bucket" ? onEmpty.configuration.rules : onEmpty, [
        ExpireEntries(95),
      ])
      assert.isTrue(Option.isNone(yield* bucket.rules))

      yield* bucket.plant([logsRule, ourRule(30)])
      const plantingPuts = puts(bucket.calls)
      const onRules = yield* applyLifecycle({ days: 95, dryRun: true })
      assert.deepInclude(onRules, { change: "updated", written: false })
      assert.deepStrictEqual(yield* bucket.rules, Option.some([logsRule, ourRule(30)]))
      assert.strictEqual(puts(bucket.calls), plantingPuts)
    }).pipe(Effect.provide(bucketOnMoto())),
  )

  it.effect(
    "another rule expiring the index prefix, and days shorter than the retention, are pointed out",
    () =>
      Effect.gen(function* () {
        const bucket = yield* Bucket
        yield* bucket.plant([
          { ID: "everything", Status: "Enabled", Filter: { Prefix: "" }, Expiration: { Days: 400 } },
          logsRule,
        ])
        const applied = yield* applyLifecycle({ days: 30, dryRun: false })
        assert.deepInclude(applied, { overlapping: ["everything"], shorterThanRetention: true })
      }).pipe(Effect.provide(bucketOnMoto())),
  )
})

describe("bucket lifecycle on a store without one", () => {
  const directory = UnsupportedBucketLifecycle.layer("the directory store /tmp/data")

  it.effect("show and apply say that lifecycle rules do not apply, and the adapter refuses a write", () =>
    Effect.gen(function* () {
      assert.deepInclude(yield* showLifecycle(), {
        _tag: "NotSupported",
        store: "the directory store /tmp/data",
      })
      assert.deepInclude(yield* applyLifecycle({ days: 95, dryRun: false }), { _tag: "NotSupported" })
    }).pipe(Effect.provide(directory)),
  )
})
