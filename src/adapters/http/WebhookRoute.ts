import type { IncomingMessage } from "node:http"
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServerRequest } from "@effect/platform-node"
import { verifyWithFallback } from "@octokit/webhooks-methods"
import { Data, type Duration, Effect, Fiber, Option, Redacted, Schema } from "effect"
import { DeliveryId } from "../../domain/WorkflowRunPayload.js"
import type { StoreError } from "../../ports/StoreError.js"
import {
  defaultDeliveryDeadline,
  parkWaitWithin,
  processingBudgetWithin,
  WebhookSettings,
} from "../../ports/WebhookSettings.js"
import { type DeliveryResult, type MalformedPayload, processDelivery } from "../../programs/Webhooks.js"
import * as BodyBudget from "./BodyBudget.js"

export interface WebhookOptions {
  /** Every secret a signature may be made with (the first is current; the rest are being rotated out). */
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
  readonly maxBytes: number
  /**
   * When the answer is due (9 seconds by default; GitHub gives up after 10). Processing with all its
   * retries stops a second before it, and the delivery is parked and answered 503.
   */
  readonly deadline?: Duration.Duration
  /** Body bytes held at once across all requests until their signature is checked; no limit when absent. */
  readonly bodyBudget?: BodyBudget.BodyBudget
}

const decodeDeliveryId = Schema.decodeUnknownOption(DeliveryId)

/** The body is over `maxBytes` (declared or as it arrives): the only 413. */
class BodyTooLarge extends Data.TaggedError("BodyTooLarge")<{ readonly maxBytes: number }> {}
/** The body did not arrive to its end: the sender hung up or the connection failed. Not a 413. */
class BodyIncomplete extends Data.TaggedError("BodyIncomplete")<{ readonly detail: string }> {}
class MissingSignature extends Data.TaggedError("MissingSignature") {}
class InvalidSignature extends Data.TaggedError("InvalidSignature") {}
class InvalidHeader extends Data.TaggedError("InvalidHeader")<{
  readonly header: string
  readonly detail: string
}> {}
/** Not processed and not even parked (the store is down): nothing recorded, a redelivery processes it. */
class StoreUnavailable extends Data.TaggedError("StoreUnavailable")<{
  readonly reason: StoreError["reason"]
  readonly deliveryId: DeliveryId
}> {}
/** A defect while processing, logged with its details; the answer names only the delivery. */
class InternalFailure extends Data.TaggedError("InternalFailure")<{ readonly deliveryId: DeliveryId }> {}

/** Everything that ends a delivery without an outcome, each answered by `rejection`. */
type Rejection =
  | BodyTooLarge
  | BodyIncomplete
  | BodyBudget.BodyBudgetExhausted
  | MissingSignature
  | InvalidSignature
  | InvalidHeader
  | MalformedPayload
  | StoreUnavailable
  | InternalFailure

const problem = (status: number, error: string, detail: Record<string, unknown> = {}) =>
  HttpServerResponse.unsafeJson({ error, ...detail }, { status })

/** The one mapping from a rejection to its HTTP answer. */
const rejection = (error: Rejection): HttpServerResponse.HttpServerResponse => {
  switch (error._tag) {
    case "BodyTooLarge":
      return problem(413, "payload too large", { maxBytes: error.maxBytes }).pipe(
        HttpServerResponse.setHeader("connection", "close"),
      )
    case "BodyIncomplete":
      // Usually nobody is left to read it; the access log shows 499 when the sender hung up.
      return problem(400, "incomplete body", { detail: error.detail })
    case "BodyBudgetExhausted":
      return problem(503, "busy", { detail: "too many webhook bodies are being received; retry" }).pipe(
        HttpServerResponse.setHeaders({ "retry-after": "1", connection: "close" }),
      )
    case "MissingSignature":
      return problem(401, "missing signature", {
        detail:
          "X-Hub-Signature-256 is missing: give the GitHub webhook a secret, the same as GITHUB_WEBHOOK_SECRET",
      })
    case "InvalidSignature":
      return problem(401, "invalid signature", {
        detail: "X-Hub-Signature-256 does not match any configured secret",
      })
    case "InvalidHeader":
      return problem(400, "invalid header", { header: error.header, detail: error.detail })
    case "MalformedPayload":
      return problem(400, "invalid body", { detail: error.detail })
    case "StoreUnavailable":
      return problem(503, "store unavailable", { reason: error.reason, deliveryId: error.deliveryId })
    case "InternalFailure":
      return problem(500, "internal error", { deliveryId: error.deliveryId })
  }
}

/**
 * The body as text, at most `maxBytes`. Past that it stops keeping what arrives but lets the rest
 * drain (discarded) instead of destroying the socket: a sender without Content-Length then reads
 * the 413 rather than a connection reset. How long a sender may keep sending is the server's
 * request timeout (`RUN_INDEX_REQUEST_TIMEOUT`). A body that ends early (the sender hung up, the
 * connection failed) is `BodyIncomplete`, never `BodyTooLarge`.
 */
const readBody = (source: IncomingMessage, maxBytes: number) =>
  Effect.async<string, BodyTooLarge | BodyIncomplete>((resume) => {
    const chunks: Array<Buffer> = []
    let bytes = 0
    const onData = (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes > maxBytes) {
        source.off("data", onData)
        source.off("end", onEnd)
        source.resume()
        resume(Effect.fail(new BodyTooLarge({ maxBytes })))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => resume(Effect.succeed(Buffer.concat(chunks).toString("utf8")))
    const onError = (error: Error) =>
      resume(
        Effect.fail(new BodyIncomplete({ detail: `the body ended after ${bytes} bytes (${error.message})` })),
      )
    source.on("data", onData)
    source.once("end", onEnd)
    source.once("error", onError)
    // `onError` stays: a late error on a source with no listener would be thrown.
    return Effect.sync(() => {
      source.off("data", onData)
      source.off("end", onEnd)
    })
  })

const verifySignature = (
  secrets: ReadonlyArray<Redacted.Redacted<string>>,
  body: string,
  signature: string,
) => {
  const [current, ...previous] = secrets.map(Redacted.value)
  if (current === undefined || signature === "") return Effect.succeed(false)
  return Effect.tryPromise(() => verifyWithFallback(current, body, signature, previous)).pipe(
    Effect.map((valid) => valid === true),
    Effect.orElseSucceed(() => false),
  )
}

const headerRecord = (headers: Readonly<Record<string, string | undefined>>) =>
  Object.fromEntries(
    Object.entries(headers).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined &&
        (entry[0].startsWith("x-github-") ||
          entry[0] === "x-hub-signature-256" ||
          entry[0] === "content-type"),
    ),
  )

const respond = (outcome: DeliveryResult, deliveryId: DeliveryId): HttpServerResponse.HttpServerResponse => {
  switch (outcome._tag) {
    case "Duplicate":
      return HttpServerResponse.unsafeJson({ duplicate: true })
    case "Pong":
      return HttpServerResponse.unsafeJson({ pong: true })
    case "Ignored":
      return HttpServerResponse.unsafeJson({ ignored: outcome.event }, { status: 202 })
    case "Processed":
      return HttpServerResponse.unsafeJson({
        outcome: outcome.outcome,
        source: outcome.source,
        requestId: outcome.requestId,
        kind: outcome.kind,
      })
    case "DeadLetter":
      // Answered 2xx: GitHub retrying cannot help; the delivery is kept and `deliveries dead` lists it.
      return HttpServerResponse.unsafeJson({ deadLetter: true, reason: outcome.reason, deliveryId })
    case "Parked":
      // Parked for replay; the 503 also marks the delivery failed in GitHub's UI, for a manual redelivery.
      // GitHub shows this body in its delivery log: the reason in one word, the details only in ours.
      return HttpServerResponse.unsafeJson(
        { parked: true, reason: outcome.reason, deliveryId },
        { status: 503 },
      )
  }
}

/**
 * `POST /webhooks/github`: a raw body of at most `maxBytes` (413), a valid `X-Hub-Signature-256`
 * (401), an `X-GitHub-Delivery` (400); then the delivery is processed. A duplicate is 200
 * `{"duplicate":true}`; a delivery that could not be processed is parked for replay (503).
 */
export const webhookRoute = (options: WebhookOptions) => {
  // Retries end a second before the answer is due (half-way for a deadline under 2 s), leaving the
  // rest to park the delivery: half of it for the store, then the local spool.
  const deadline = options.deadline ?? defaultDeliveryDeadline
  const budgets = {
    processingBudgetMillis: processingBudgetWithin(deadline),
    parkWaitMillis: parkWaitWithin(deadline),
  }
  return Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const declaredLength = Number(request.headers["content-length"] ?? "0")
    if (declaredLength > options.maxBytes) return yield* new BodyTooLarge({ maxBytes: options.maxBytes })
    const signature = request.headers["x-hub-signature-256"] ?? ""
    // The bytes are reserved until the signature is checked: what an unsigned sender can make the
    // service hold is bounded by the budget. A body without Content-Length reserves the most it may be.
    const budget = options.bodyBudget ?? BodyBudget.unlimited
    const body = yield* Effect.gen(function* () {
      const text = yield* readBody(NodeHttpServerRequest.toIncomingMessage(request), options.maxBytes)
      if (signature === "") return yield* new MissingSignature()
      if (!(yield* verifySignature(options.secrets, text, signature))) return yield* new InvalidSignature()
      return text
    }).pipe(
      budget.withBytes(request.headers["content-length"] === undefined ? options.maxBytes : declaredLength),
    )
    const decodedId = decodeDeliveryId(request.headers["x-github-delivery"])
    if (Option.isNone(decodedId))
      return yield* new InvalidHeader({ header: "X-GitHub-Delivery", detail: "a delivery id is required" })
    const deliveryId = decodedId.value
    const event = request.headers["x-github-event"] ?? ""
    if (event === "")
      return yield* new InvalidHeader({ header: "X-GitHub-Event", detail: "an event name is required" })
    const settings = yield* WebhookSettings
    const processing = processDelivery({
      deliveryId,
      event,
      headers: headerRecord(request.headers),
      body,
    }).pipe(
      Effect.provideService(WebhookSettings, { ...settings, ...budgets }),
      Effect.map((outcome) => respond(outcome, deliveryId)),
      Effect.catchTag("StoreError", (error) =>
        Effect.logWarning("delivery failed").pipe(
          Effect.annotateLogs({ deliveryId, reason: error.reason, detail: error.detail }),
          Effect.zipRight(Effect.fail(new StoreUnavailable({ reason: error.reason, deliveryId }))),
        ),
      ),
      Effect.catchAllDefect((defect) =>
        Effect.logError("delivery failed", defect).pipe(
          Effect.annotateLogs({ deliveryId }),
          Effect.zipRight(Effect.fail(new InternalFailure({ deliveryId }))),
        ),
      ),
    )
    // Processing runs in a fiber of its own, so that a sender who hangs up does not cut it off: it
    // goes on to record the delivery or park it. It ends within the deadline by itself (the budget
    // above, then a bounded park), so the answer needs no timer of its own.
    return yield* Fiber.join(yield* Effect.forkDaemon(processing))
  }).pipe(Effect.catchAll((error) => Effect.succeed(rejection(error))))
}
