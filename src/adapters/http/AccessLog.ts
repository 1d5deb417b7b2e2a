import { HttpMiddleware, HttpServerError, HttpServerRequest } from "@effect/platform"
import { Effect, LogLevel } from "effect"

/** The request's path, without its query string: a token put there by mistake never reaches a log. */
export const pathOf = (url: string): string => {
  const query = url.indexOf("?")
  const fragment = url.indexOf("#")
  const end = Math.min(query < 0 ? url.length : query, fragment < 0 ? url.length : fragment)
  return url.slice(0, end)
}

/** Health probes arrive every few seconds from load balancers and orchestrators: logged at debug. */
const probes = new Set(["/healthz", "/readyz"])

/**
 * One log line per answered request: method, path (no query string) and status, as
 * `HttpMiddleware.logger` writes them but with `http.path` in place of the full `http.url`.
 * Successful probes are at debug, so the info log shows traffic, not heartbeats.
 */
export const accessLog = HttpMiddleware.make((app) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const exit = yield* Effect.exit(app)
    const status =
      exit._tag === "Success"
        ? exit.value.status
        : HttpServerError.causeResponseStripped(exit.cause)[0].status
    const path = pathOf(request.url)
    const level = probes.has(path) && status < 300 ? LogLevel.Debug : LogLevel.Info
    yield* Effect.logWithLevel(level, "Sent HTTP response").pipe(
      Effect.annotateLogs({
        "http.method": request.method,
        "http.path": path,
        "http.status": status,
      }),
    )
    return yield* exit
  }),
)
