import { randomUUID } from "node:crypto"
import { CreateBucketCommand } from "@aws-sdk/client-s3"
import { Context, Effect, Layer } from "effect"
import { inject } from "vitest"
import type { ObjectStore, Paging } from "../../src/adapters/objects/ObjectStore.js"
import * as S3Client from "../../src/adapters/objects/S3Client.js"
import * as S3ObjectStore from "../../src/adapters/objects/S3ObjectStore.js"

const region = "us-east-1"

/**
 * The URL of the moto server the integration tier starts (test/support/motoGlobalSetup.ts). Only
 * files named `*.integration.test.ts` get one; elsewhere this fails saying so.
 */
export const motoEndpoint = (): string => {
  const endpoint = inject("motoEndpoint")
  if (typeof endpoint !== "string" || endpoint.length === 0)
    throw new Error(
      "this test needs moto, which only the integration tier starts: name its file *.integration.test.ts",
    )
  return endpoint
}

/** A bucket no other test uses: S3 bucket names are lowercase letters, digits and dashes. */
export const freshBucketName = () => `run-index-test-${randomUUID().replaceAll("-", "").slice(0, 16)}`

/**
 * The S3 object store against the moto server of `motoGlobalSetup.ts`, in a new empty bucket on
 * every build of the layer, so each test starts from nothing.
 */
/** The name of the bucket `motoLayer` created. */
export class MotoBucket extends Context.Tag("test/MotoBucket")<MotoBucket, string>() {}

export const motoLayer = (
  paging: Paging = {},
): Layer.Layer<ObjectStore | S3Client.S3ClientService | MotoBucket, Error> => {
  const endpoint = motoEndpoint()
  const objectStore = Layer.unwrapEffect(
    Effect.gen(function* () {
      const client = yield* S3Client.S3ClientService
      const bucket = freshBucketName()
      yield* Effect.tryPromise({
        try: (signal) => client.send(new CreateBucketCommand({ Bucket: bucket }), { abortSignal: signal }),
        catch: (cause) => new Error(`could not create bucket ${bucket} on moto at ${endpoint}`, { cause }),
      })
      return Layer.merge(S3ObjectStore.layer({ ...paging, bucket }), Layer.succeed(MotoBucket, bucket))
    }),
  )
  return objectStore.pipe(Layer.provideMerge(S3Client.layer({ endpoint, region })))
}
