import { timingSafeEqual } from "node:crypto"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Duration, Effect, Either, Redacted, Schema } from "effect"
import { describeParseError } from "../../domain/EntryValidation.js"
import { RunIdFromString } from "../../domain/RunId.js"
import { WorkflowKind } from "../../domain/WorkflowKind.js"
import { RunIndexStore } from "../../ports/RunIndexStore.js"
import { StoreError } from "../../ports/StoreError.js"
import { getRequestIdByRunId } from "../../programs/RunIndex.js"
import { defaultReadyTimeout } from "../Settings.js"
import { metricsRoute } from "./MetricsRoute.js"
import { dispatchRoute, getRequestRoute } from "./RequestRoutes.js"
import { type WebhookOptions, webhookRoute } from "./WebhookRoute.js"

const problem = (status: number, error: string, detail: Record<string, unknown> = {}) =>
  HttpServerResponse.unsafeJson({ error, ...detail }, { status })

const sameSecret = (given: string, expected: Redacted.Redacted<string>) => {
  const left = Buffer.from(given)
  const right = Buffer.from(Redacted.value(expected))
  return left.length === right.length && timingSafeEqual(left, right)
}

/** `/v1` answers only requests that carry `Authorization: Bearer <token>`. */
const requireBearer =
  (token: Redacted.Redacted<string>) =>
  <E, R>(handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const header = request.headers.authorization ?? ""
      // By hand, not /^Bearer\s+(.+)$/: adjacent unbounded repetitions backtrack on crafted input.
      const scheme = header.slice(0, 6).toLowerCase()
      const separated = /^\s$/.test(header.charAt(6))
      const given = header.slice(6).trim()
      if (scheme !== "bearer" || !separated || given === "" || !sameSecret(given, token)) {
        return problem(401, "unauthorized", { detail: "send Authorization: Bearer <RUN_INDEX_API_TOKEN>" })
      }
      return yield* handler
    })

const decodeParameter = <A, I>(name: string, schema: Schema.Schema<A, I>, value: string | undefined) =>
  Either.mapLeft(Schema.decodeUnknownEither(schema)(value), (error) => ({
    parameter: name,
    detail: `${name} ${JSON.stringify(value ?? "")} ${describeParseError(error)}`,
  }))

const lookupRun = Effect.gen(function* () {
  const params = yield* HttpRouter.params
  const kind = decodeParameter("kind", WorkflowKind, params.kind)
  if (Either.isLeft(kind)) return problem(400, "invalid parameter", kind.left)
  const runId = decodeParameter("runId", RunIdFromString, params.runId)
  if (Either.isLeft(runId)) return problem(400, "invalid parameter", runId.left)
  const found = yield* getRequestIdByRunId(kind.right, runId.right)
  switch (found._tag) {
    case "Found":
      return HttpServerResponse.unsafeJson(found.entry)
    case "Missing":
      return problem(404, "not found", { kind: kind.right, runId: runId.right })
    case "Invalid":
      return problem(422, "invalid entry", { reason: found.invalid.reason, detail: found.invalid.detail })
  }
})

/** `/readyz`: one store read, answered 503 when it fails or takes longer than `deadline`. */
const readiness = (deadline: Duration.Duration) =>
  Effect.gen(function* () {
    const store = yield* RunIndexStore
    // Any answer, found or missing, shows the store is reachable with these credentials.
    yield* store.get({ kind: "plan", runId: Schema.decodeSync(RunIdFromString)("1") })
    return HttpServerResponse.unsafeJson({ status: "ready" })
  }).pipe(
    Effect.timeoutFail({
      duration: deadline,
      onTimeout: () =>
        new StoreError({
          reason: "Unavailable",
          operation: "get",
          detail: `no answer within ${Duration.format(deadline)}`,
        }),
    }),
    Effect.catchTag("StoreError", (error) =>
      Effect.as(
        Effect.logWarning("not ready").pipe(
          Effect.annotateLogs({ reason: error.reason, detail: error.detail }),
        ),
        // A missing bucket or credentials is the operator's to fix: say which (secrets are already removed).
        problem(
          503,
          "store unavailable",
          error.reason === "NotConfigured"
            ? { reason: error.reason, detail: error.detail }
            : { reason: error.reason },
        ),
      ),
    ),
  )

/**
 * The longest path parameter the router matches (its default is 100, shorter than a request id's
 * 128): longer ones still reach their route, which answers 400 naming the parameter.
 */
const longestParameter = 512

/**
 * The service's routes. Store failures become 503 with the failure's reason; nothing leaks a
 * secret. A path no route matches is the JSON 404 (the router's own answer to it is empty).
 */
export const makeRouter = (options: {
  readonly apiToken: Redacted.Redacted<string>
  readonly webhook: WebhookOptions
  /** How long `/readyz` waits for the store (2 seconds by default). */
  readonly readyTimeout?: Duration.Duration
}) =>
  HttpRouter.empty.pipe(
    HttpRouter.post("/webhooks/github", webhookRoute(options.webhook)),
    HttpRouter.get("/healthz", HttpServerResponse.unsafeJson({ status: "ok" })),
    HttpRouter.get("/readyz", readiness(options.readyTimeout ?? defaultReadyTimeout)),
    HttpRouter.get("/metrics", metricsRoute),
    HttpRouter.get("/v1/run-index/:kind/:runId", requireBearer(options.apiToken)(lookupRun)),
    HttpRouter.get("/v1/requests/:requestId", requireBearer(options.apiToken)(getRequestRoute)),
    HttpRouter.post("/v1/requests/:requestId/dispatch", requireBearer(options.apiToken)(dispatchRoute)),
    HttpRouter.catchTags({
      StoreError: (error) => Effect.succeed(problem(503, "store unavailable", { reason: error.reason })),
    }),
    HttpRouter.withRouterConfig({ maxParamLength: longestParameter }),
    Effect.catchTag("RouteNotFound", () => Effect.succeed(problem(404, "no such route"))),
  )
