import {
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
} from "@aws-sdk/client-s3"
import { Effect, Layer, Option } from "effect"
import type { LifecycleConfiguration } from "../../domain/LifecycleRule.js"
import { BucketLifecycle, LifecycleRead } from "../../ports/BucketLifecycle.js"
import { S3ClientService } from "./S3Client.js"
import * as S3Failure from "./S3Failure.js"
import {
  configurationAsStored,
  configurationFromS3,
  configurationToS3,
  ruleAsStored,
} from "./S3LifecycleMapping.js"

/** The lifecycle configuration of one bucket, through the client in `S3ClientService`. */
export const layer = (options: {
  readonly bucket: string
}): Layer.Layer<BucketLifecycle, never, S3ClientService> =>
  Layer.effect(
    BucketLifecycle,
    Effect.gen(function* () {
      const client = yield* S3ClientService
      const location = `s3://${options.bucket}`

      const read = S3Failure.call("getLifecycle", location, (signal) =>
        client
          .send(new GetBucketLifecycleConfigurationCommand({ Bucket: options.bucket }), {
            abortSignal: signal,
          })
          .then(
            (response) =>
              LifecycleRead.Bucket({
                location,
                configuration: Option.some(configurationFromS3(response)),
              }),
            (error: unknown) => {
              if (S3Failure.hasCode(error, "NoSuchLifecycleConfiguration")) {
                return LifecycleRead.Bucket({ location, configuration: Option.none() })
              }
              throw error
            },
          ),
      ).pipe(Effect.withSpan("S3BucketLifecycle.read"))

      const write = Effect.fn("S3BucketLifecycle.write")(function* (configuration: LifecycleConfiguration) {
        const request = yield* Option.match(configurationToS3(configuration), {
          onNone: () =>
            Effect.dieMessage(
              `a lifecycle rule that ${location} did not give cannot be written back to it as it was`,
            ),
          onSome: Effect.succeed,
        })
        yield* S3Failure.call("putLifecycle", location, (signal) =>
          client.send(new PutBucketLifecycleConfigurationCommand({ Bucket: options.bucket, ...request }), {
            abortSignal: signal,
          }),
        )
      })

      return BucketLifecycle.of({ read, write, ruleAsStored, configurationAsStored })
    }),
  )
