import { Effect, Option, Schema } from "effect"
import { StoreError, type StoreFailureReason } from "../../ports/StoreError.js"

/**
 * How S3 failures become `StoreError`s, shared by every adapter over the SDK client (objects,
 * lifecycle): the error code, then the network error code, then the HTTP status decide the reason.
 */

/** What a rejected SDK call says about itself: an S3 error (its code is the `name`) or a network error. */
const SdkFailure = Schema.Struct({
  name: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  code: Schema.optional(Schema.String),
  $metadata: Schema.optional(Schema.Struct({ httpStatusCode: Schema.optional(Schema.Number) })),
  cause: Schema.optional(Schema.Unknown),
})
export type SdkFailure = typeof SdkFailure.Type
/** The failure as the SDK describes it, when it is one. */
export const decodeFailure = Schema.decodeUnknownOption(SdkFailure)

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
export const withoutSecrets = (text: string): string =>
  text
    .replace(/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, "<access key id>")
    .replace(/\b((?:X-Amz-)?(?:Signature|Credential|Security-Token)=)[^&\s,"]+/gi, "$1<redacted>")

/** A rejected SDK call as a StoreError whose detail names the operation's location, secrets removed. */
export const toStoreError =
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

/** Whether a rejection is the S3 error with this code (`NoSuchKey`, …). */
export const hasCode = (error: unknown, code: string): boolean =>
  Option.exists(decodeFailure(error), (failure) => failure.name === code)

/** The reason for an error code S3 reports per key (DeleteObjects' `Errors`), which never throws. */
export const reasonOfCode = (code: string | undefined): StoreFailureReason =>
  (code === undefined ? undefined : reasonsByCode.get(code)) ?? "Unknown"

/**
 * Every SDK call goes through here: cancellation reaches the socket, every rejection is a StoreError
 * whose detail starts with `location`.
 */
export const call = <A>(
  operation: string,
  location: string,
  send: (signal: AbortSignal) => Promise<A>,
): Effect.Effect<A, StoreError> => Effect.tryPromise({ try: send, catch: toStoreError(operation, location) })
