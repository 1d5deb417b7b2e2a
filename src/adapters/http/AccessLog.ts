import { HttpMiddleware, HttpServerError, HttpServerRequest } from "@effect/platform"
import { Effect } from "effect"

/** The request's path, without its query string: a token put there by mistake never reaches a log. */
export const pathOf = (url: string): string => {
  const query = url.indexOf("?")
  const fragment = url.indexOf("#")
  const end = Math.min(query < 0 ? url.length : query, fragment < 0 ? url.length : fragment)
  return url.slice(0, end)
}

/**
 * One log line per answered request: method, path (no query string) and status, as
 * `HttpMiddleware.logger` writes them but with `http.path` in place of the full `http.url`.
 */
export const accessLog = HttpMiddleware.make((app) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const exit = yield* Effect.exit(app)
    const status =
      exit._tag === "Success"
        ? exit.value.status
        : HttpServerError.causeResponseStripped(exit.cause)[0].status
    yield* Effect.log("Sent HTTP response").pipe(
      Effect.annotateLogs({
        "http.method": request.method,
        "http.path": pathOf(request.url),
        "http.status": status,
      }),
    )
    return yield* exit
  }),
)
