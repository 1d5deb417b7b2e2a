import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3"
import { Chunk, Effect, Layer, Option, Schedule, Schema, Stream } from "effect"
import { StoreError, type StoreFailureReason } from "../../ports/StoreError.js"
import { ObjectStore, type StoredObject, WriteCondition, WriteOutcome } from "./ObjectStore.js"
import { S3ClientService } from "./S3Client.js"

/** Keys per ListObjectsV2 page, S3's maximum: one page is all a listing holds in memory. */
const pageSize = 1000

/**
 * A write that met a concurrent conflicting write to the same key (409) was not applied, and the
 * SDK does not retry a 409: try again a few times, briefly. 5xx and throttling the SDK retries itself.
 */
const writeConflictRetries = Schedule.exponential("50 millis").pipe(Schedule.intersect(Schedule.recurs(4)))

/** What a rejected SDK call says about itself: an S3 error (its code is the `name`) or a network error. */
const SdkFailure = Schema.Struct({
  name: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  code: Schema.optional(Schema.String),
  $metadata: Schema.optional(Schema.Struct({ httpStatusCode: Schema.optional(Schema.Number) })),
  cause: Schema.optional(Schema.Unknown),
})
type SdkFailure = typeof SdkFailure.Type
const decodeFailure = Schema.decodeUnknownOption(SdkFailure)

const reasonsByCode = new Map<string, StoreFailureReason>([
  ...[
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "TooManyRequests",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "BandwidthLimitExceeded",
  ].map((code) => [code, "Throttled"] as const),
  ...[
    "InternalError",
    "RequestTimeout",
    "RequestTimeoutException",
    "TimeoutError",
    "ECONNRESET",
    "ECONNREFUSED",
    "ECONNABORTED",
    "ETIMEDOUT",
    "EPIPE",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "ENOTFOUND",
    "EAI_AGAIN",
  ].map((code) => [code, "Unavailable"] as const),
  ...[
    "AccessDenied",
    "AccessDeniedException",
    "AllAccessDisabled",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
  ].map((code) => [code, "AccessDenied"] as const),
  ...["ConditionalRequestConflict", "OperationAborted"].map((code) => [code, "Conflict"] as const),
  ...["NoSuchBucket", "InvalidBucketName", "PermanentRedirect", "CredentialsProviderError"].map(
    (code) => [code, "NotConfigured"] as const,
  ),
])

const reasonsByStatus = new Map<number, StoreFailureReason>([
  [429, "Throttled"],
  [503, "Throttled"],
  [500, "Unavailable"],
  [502, "Unavailable"],
  [504, "Unavailable"],
  [403, "AccessDenied"],
  [409, "Conflict"],
])

/** The S3 error code, then the network error code (the SDK may wrap it), then the HTTP status decide. */
const reasonOf = (failure: SdkFailure): StoreFailureReason => {
  const wrapped = Option.flatMap(Option.fromNullable(failure.cause), decodeFailure)
  const codes = [failure.name, failure.code, Option.getOrUndefined(wrapped)?.code]
  for (const code of codes) {
    const reason = code === undefined ? undefined : reasonsByCode.get(code)
    if (reason !== undefined) return reason
  }
  const status = failure.$metadata?.httpStatusCode
  return (status === undefined ? undefined : reasonsByStatus.get(status)) ?? "Unknown"
}

/** Signed-request fragments and access key ids, should a server ever echo them into a message. */
const withoutSecrets = (text: string): string =>
  text
    .replace(/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, "<access key id>")
    .replace(/\b((?:X-Amz-)?(?:Signature|Credential|Security-Token)=)[^&\s,"]+/gi, "$1<redacted>")

const toStoreError =
  (operation: string, location: string) =>
  (cause: unknown): StoreError =>
    Option.match(decodeFailure(cause), {
      onNone: () =>
        new StoreError({
          reason: "Unknown",
          operation,
          detail: withoutSecrets(`${location}: ${cause}`),
          cause,
        }),
      onSome: (failure) => {
        const status = failure.$metadata?.httpStatusCode
        const code = failure.name ?? failure.code ?? "Error"
        const summary = `${code}${status === undefined ? "" : ` (HTTP ${status})`}: ${failure.message ?? ""}`
        return new StoreError({
          reason: reasonOf(failure),
          operation,
          detail: withoutSecrets(`${location}: ${summary}`),
          cause,
        })
      },
    })

const hasCode = (error: unknown, code: string): boolean =>
  Option.exists(decodeFailure(error), (failure) => failure.name === code)

const conditionNotMet = (error: unknown, condition: WriteCondition): boolean =>
  Option.exists(
    decodeFailure(error),
    (failure) =>
      failure.name === "PreconditionFailed" ||
      failure.$metadata?.httpStatusCode === 412 ||
      // S3 answers If-Match on a missing key with 404 NoSuchKey: the object is not the one expected.
      (condition._tag === "IfMatch" && failure.name === "NoSuchKey"),
  )

const conditionHeaders = WriteCondition.$match({
  Always: () => ({}),
  IfAbsent: () => ({ IfNoneMatch: "*" }),
  IfMatch: ({ etag }) => ({ IfMatch: etag }),
})

const requireEtag = (etag: string | undefined): string => {
  if (etag === undefined) throw new Error("S3 answered without an ETag")
  return etag
}

/** Objects in one S3 bucket (or an S3-compatible server), through the client in `S3ClientService`. */
export const layer = (options: {
  readonly bucket: string
}): Layer.Layer<ObjectStore, never, S3ClientService> =>
  Layer.effect(
    ObjectStore,
    Effect.gen(function* () {
      const client = yield* S3ClientService
      const { bucket } = options

      /** Every SDK call goes through here: cancellation reaches the socket, every rejection is a StoreError. */
      const call = <A>(
        operation: string,
        location: string,
        send: (signal: AbortSignal) => Promise<A>,
      ): Effect.Effect<A, StoreError> =>
        Effect.tryPromise({ try: send, catch: toStoreError(operation, `s3://${bucket}/${location}`) })

      // Untraced like RunIndexStore.get: the hot read path (bench "lookup").
      const get = Effect.fnUntraced(function* (path: string) {
        return yield* call("get", path, (signal) =>
          client.send(new GetObjectCommand({ Bucket: bucket, Key: path }), { abortSignal: signal }).then(
            async (response): Promise<Option.Option<StoredObject>> =>
              Option.some({
                body: (await response.Body?.transformToString("utf-8")) ?? "",
                etag: requireEtag(response.ETag),
              }),
            (error: unknown) => {
              if (hasCode(error, "NoSuchKey")) return Option.none()
              throw error
            },
          ),
        )
      })

      const put = Effect.fn("S3ObjectStore.put")(function* (
        path: string,
        body: string,
        condition: WriteCondition,
      ) {
        const command = new PutObjectCommand({
          Bucket: bucket,
          Key: path,
          Body: body,
          ContentType: "application/json",
          ServerSideEncryption: "AES256",
          ...conditionHeaders(condition),
        })
        return yield* call("put", path, (signal) =>
          client.send(command, { abortSignal: signal }).then(
            (response): WriteOutcome => WriteOutcome.Written({ etag: requireEtag(response.ETag) }),
            (error: unknown) => {
              // After a 5xx the SDK retries, so a conditional write that landed can come back as 412.
              if (conditionNotMet(error, condition)) return WriteOutcome.PreconditionFailed()
              throw error
            },
          ),
        ).pipe(
          Effect.retry({ schedule: writeConflictRetries, while: (error) => error.reason === "Conflict" }),
        )
      })

      const remove = Effect.fn("S3ObjectStore.delete")(function* (path: string) {
        yield* call("delete", path, (signal) =>
          client.send(new DeleteObjectCommand({ Bucket: bucket, Key: path }), { abortSignal: signal }).then(
            () => undefined,
            (error: unknown) => {
              if (hasCode(error, "NoSuchKey")) return undefined
              throw error
            },
          ),
        )
      })

      const listPage = Effect.fn("S3ObjectStore.listPage")(function* (
        prefix: string,
        continuationToken: string | undefined,
      ) {
        const page = yield* call("list", `${prefix}*`, (signal) =>
          client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              MaxKeys: pageSize,
              ContinuationToken: continuationToken,
            }),
            { abortSignal: signal },
          ),
        )
        const listed = (page.Contents ?? []).flatMap((object) =>
          object.Key === undefined
            ? []
            : [{ path: object.Key, lastModified: object.LastModified?.getTime() ?? 0 }],
        )
        const next =
          page.IsTruncated === true ? Option.fromNullable(page.NextContinuationToken) : Option.none()
        return [Chunk.fromIterable(listed), next] as const
      })

      return ObjectStore.of({
        get,
        put,
        delete: remove,
        list: (prefix) =>
          Stream.paginateChunkEffect(undefined as string | undefined, (continuationToken) =>
            listPage(prefix, continuationToken),
          ),
      })
    }),
  )
