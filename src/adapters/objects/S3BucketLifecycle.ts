import {
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  type LifecycleRule as SdkLifecycleRule,
  type TransitionDefaultMinimumObjectSize,
} from "@aws-sdk/client-s3"
import { Effect, Layer, Option } from "effect"
import type { LifecycleConfiguration, LifecycleRule } from "../../domain/LifecycleRule.js"
import { BucketLifecycle, LifecycleRead } from "../../ports/BucketLifecycle.js"
import { S3ClientService } from "./S3Client.js"
import * as S3Failure from "./S3Failure.js"

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
                configuration: Option.some<LifecycleConfiguration>({
                  // The SDK's rules are plain data; carried untouched so they are written back as read.
                  rules: (response.Rules ?? []).map((rule): LifecycleRule => ({ ...rule })),
                  transitionDefaultMinimumObjectSize: response.TransitionDefaultMinimumObjectSize,
                }),
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
        const size = configuration.transitionDefaultMinimumObjectSize
        yield* S3Failure.call("putLifecycle", location, (signal) =>
          client.send(
            new PutBucketLifecycleConfigurationCommand({
              Bucket: options.bucket,
              // Rules read from S3, and ours, which is written in S3's field names.
              LifecycleConfiguration: { Rules: configuration.rules as unknown as Array<SdkLifecycleRule> },
              ...(size === undefined
                ? {}
                : { TransitionDefaultMinimumObjectSize: size as TransitionDefaultMinimumObjectSize }),
            }),
            { abortSignal: signal },
          ),
        )
      })

      return BucketLifecycle.of({ read, write })
    }),
  )
