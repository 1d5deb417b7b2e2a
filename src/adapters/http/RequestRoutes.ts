import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Either, Schema } from "effect"
import { describeParseError } from "../../domain/EntryValidation.js"
import { RequestId } from "../../domain/RequestId.js"
import { WorkflowKind } from "../../domain/WorkflowKind.js"
import { RepositoryName } from "../../domain/WorkflowRun.js"
import { RequestStore } from "../../ports/RequestStore.js"
import { dispatchRun } from "../../programs/DispatchRun.js"
import { dispatchResultJson } from "../DispatchOutput.js"

const problem = (status: number, error: string, detail: Record<string, unknown> = {}) =>
  HttpServerResponse.unsafeJson({ error, ...detail }, { status })

/** The body of `POST /v1/requests/:requestId/dispatch`. */
export const DispatchBody = Schema.Struct({
  kind: WorkflowKind,
  repo: RepositoryName,
  workflow: Schema.NonEmptyTrimmedString,
  ref: Schema.NonEmptyTrimmedString,
  inputs: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), {
    default: () => ({}),
  }),
  actor: Schema.optional(Schema.NonEmptyTrimmedString),
  requireToken: Schema.optionalWith(Schema.Boolean, { default: () => false }),
})

const requestIdParameter = Effect.map(HttpRouter.params, (params) =>
  Either.mapLeft(Schema.decodeUnknownEither(RequestId)(params.requestId), (error) => ({
    parameter: "requestId",
    detail: `requestId ${JSON.stringify(params.requestId ?? "")} ${describeParseError(error)}`,
  })),
)

const gatewayStatus = { InvalidInputs: 422, NotFound: 404, RateLimited: 429 } as const

export const dispatchRoute = Effect.gen(function* () {
  const requestId = yield* requestIdParameter
  if (Either.isLeft(requestId)) return problem(400, "invalid parameter", requestId.left)
  const request = yield* HttpServerRequest.HttpServerRequest
  const text = yield* request.text.pipe(Effect.orElseSucceed(() => ""))
  const body = Schema.decodeUnknownEither(Schema.parseJson(DispatchBody))(text)
  if (Either.isLeft(body)) return problem(400, "invalid body", { detail: describeParseError(body.left) })
  const { repo, ...rest } = body.right
  return yield* dispatchRun({ ...rest, repository: repo, requestId: requestId.right }).pipe(
    Effect.map((result) => HttpServerResponse.unsafeJson(dispatchResultJson(result))),
    Effect.catchTags({
      DispatchRefused: (refused) =>
        Effect.succeed(
          problem(
            refused.cause.reason in gatewayStatus
              ? gatewayStatus[refused.cause.reason as keyof typeof gatewayStatus]
              : 502,
            "dispatch refused",
            { reason: refused.cause.reason, detail: refused.cause.detail, attempt: refused.attempt },
          ),
        ),
      // The server's own configuration is missing: not the caller's fault, and nothing was written.
      DispatchNotConfigured: (notConfigured) =>
        Effect.succeed(
          problem(503, "not configured", { reason: "NotConfigured", detail: notConfigured.cause.detail }),
        ),
      RunConflict: (conflict) =>
        Effect.succeed(problem(409, "run conflict", { runId: conflict.runId, detail: conflict.detail })),
      RequestUnavailable: (unavailable) =>
        Effect.succeed(
          problem(unavailable.reason === "Invalid" ? 422 : 409, "request unavailable", {
            detail: unavailable.detail,
          }),
        ),
    }),
  )
})

export const getRequestRoute = Effect.gen(function* () {
  const requestId = yield* requestIdParameter
  if (Either.isLeft(requestId)) return problem(400, "invalid parameter", requestId.left)
  const store = yield* RequestStore
  const read = yield* store.get(requestId.right)
  switch (read._tag) {
    case "Found":
      return HttpServerResponse.unsafeJson(read.document)
    case "Missing":
      return problem(404, "not found", { requestId: requestId.right })
    case "Invalid":
      return problem(422, "invalid request document", { detail: read.detail })
  }
})
