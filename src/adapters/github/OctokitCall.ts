import { Clock, Duration, Effect, Metric, Option, Schema } from "effect"
import { GatewayError, type GatewayFailureReason } from "../../ports/WorkflowRunsGateway.js"
import * as Metrics from "../../programs/Metrics.js"

/**
 * One call, the plugins' retries and rate-limit waits included (at most a minute each), must end by
 * then; the abort reaches the socket.
 */
const callDeadline = Duration.minutes(3)

/** GitHub's advice for a secondary rate limit that names no `retry-after`: wait at least a minute. */
const secondaryRateLimitWait = Duration.minutes(1)

/** What a rejected Octokit call says about itself: a RequestError with or without a response. */
const OctokitFailure = Schema.Struct({
  message: Schema.optional(Schema.String),
  status: Schema.optional(Schema.Number),
  response: Schema.optional(
    Schema.Struct({
      headers: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
      data: Schema.optional(Schema.Unknown),
    }),
  ),
})
type OctokitFailure = typeof OctokitFailure.Type
const decodeFailure = Schema.decodeUnknownOption(OctokitFailure)

/** GitHub's JSON error body. */
const GitHubMessage = Schema.Struct({ message: Schema.String })
const decodeGitHubMessage = Schema.decodeUnknownOption(GitHubMessage)

export const statusOf = (error: unknown): number | undefined =>
  Option.getOrUndefined(decodeFailure(error))?.status

export const header = (headers: Readonly<Record<string, unknown>>, name: string): string | undefined => {
  const value = headers[name]
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined
}

/** A `Date` header as epoch ms, when there is a readable one. */
export const serverClock = (headers: Readonly<Record<string, unknown>>): Option.Option<number> =>
  Option.fromNullable(header(headers, "date")).pipe(
    Option.map(Date.parse),
    Option.filter((millis) => !Number.isNaN(millis)),
  )

/** `retry-after` in seconds or as an HTTP date. */
const retryAfter = (value: string, serverNow: number): number | undefined => {
  const seconds = Number(value)
  if (value.trim() !== "" && Number.isFinite(seconds)) return serverNow + seconds * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : date
}

interface RateLimit {
  readonly resetAt: number | undefined
}

/**
 * A 403 or 429 is a rate limit when GitHub says so: no requests left (`x-ratelimit-remaining: 0`,
 * reset at `x-ratelimit-reset`), a `retry-after`, or a secondary-limit message. A plain 403 is a
 * permission problem; a 429 is always a rate limit.
 */
const rateLimitOf = (
  status: number,
  headers: Readonly<Record<string, unknown>>,
  message: string,
  now: number,
): Option.Option<RateLimit> => {
  if (status !== 403 && status !== 429) return Option.none()
  const serverNow = Option.getOrElse(serverClock(headers), () => now)
  const after = header(headers, "retry-after")
  if (after !== undefined) return Option.some({ resetAt: retryAfter(after, serverNow) })
  if (header(headers, "x-ratelimit-remaining") === "0") {
    const reset = Number(header(headers, "x-ratelimit-reset"))
    return Option.some({ resetAt: Number.isFinite(reset) && reset > 0 ? reset * 1000 : undefined })
  }
  if (/secondary rate limit/i.test(message)) {
    return Option.some({ resetAt: serverNow + Duration.toMillis(secondaryRateLimitWait) })
  }
  return status === 429 ? Option.some({ resetAt: undefined }) : Option.none()
}

const reasonOfStatus = (status: number): GatewayFailureReason => {
  if (status === 401 || status === 403) return "Unauthorized"
  if (status === 404 || status === 410 || status === 451) return "NotFound"
  if (status >= 400 && status < 500) return "InvalidInputs"
  return "Unavailable"
}

/** Every rejection of an Octokit call, as the port's error; `now` only when GitHub sent no `Date`. */
export const toGatewayError = (
  operation: string,
  target: string,
  cause: unknown,
  now: number,
): GatewayError =>
  Option.match(decodeFailure(cause), {
    // Not Octokit's: an abort, or a bug in the handling of the answer.
    onNone: () =>
      new GatewayError({ reason: "Unavailable", operation, detail: `${target}: ${cause}`, cause }),
    onSome: (failure: OctokitFailure) => {
      const message = failure.message ?? String(cause)
      const response = failure.response
      // Octokit reports a network failure as status 500 without a response, with the network
      // error's message: `connect ECONNREFUSED 127.0.0.1:8080`, or `bad port` for a port `fetch`
      // never connects to (such as 1). Neither request left this host, so GitHub did nothing; any
      // other network failure (a reset, a timeout) may have reached it.
      if (response === undefined || failure.status === undefined) {
        return new GatewayError({
          reason:
            message.includes("ECONNREFUSED") || message === "bad port" ? "ConnectionRefused" : "Unavailable",
          operation,
          detail: `${target}: ${message}`,
          cause,
        })
      }
      const githubMessage = Option.match(decodeGitHubMessage(response.data), {
        onNone: () => message,
        onSome: (body) => body.message,
      })
      const detail = `${target}: ${githubMessage}`
      return Option.match(rateLimitOf(failure.status, response.headers, githubMessage, now), {
        onSome: ({ resetAt }) =>
          new GatewayError({
            reason: "RateLimited",
            operation,
            detail,
            status: failure.status!,
            ...(resetAt === undefined ? {} : { resetAt }),
            cause,
          }),
        onNone: () =>
          new GatewayError({
            reason: reasonOfStatus(failure.status!),
            operation,
            detail,
            status: failure.status!,
            cause,
          }),
      })
    },
  })

/**
 * Every Octokit call goes through here: cancellation reaches the socket, every rejection is a
 * GatewayError with its reason and cause, and a call that hangs ends as Unavailable.
 */
export const call = <A>(
  operation: string,
  target: string,
  send: (signal: AbortSignal) => Promise<A>,
): Effect.Effect<A, GatewayError> =>
  Effect.tryPromise({ try: send, catch: (cause) => cause }).pipe(
    Effect.catchAll((cause) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.fail(toGatewayError(operation, target, cause, now)),
      ),
    ),
    Effect.timeoutFail({
      duration: callDeadline,
      onTimeout: () =>
        new GatewayError({
          reason: "Unavailable",
          operation,
          detail: `${target}: no answer within ${Duration.format(callDeadline)}`,
        }),
    }),
    Effect.tapError((error) => Metric.increment(Metrics.gatewayErrors[error.reason])),
  )

/** An answer of GitHub's that does not decode: GitHub may be mid-change, so `Unavailable`. */
export const undecodable = (operation: string, target: string, error: unknown) =>
  new GatewayError({
    reason: "Unavailable",
    operation,
    detail: `${target}: GitHub's answer does not decode: ${error}`,
    cause: error,
  })
