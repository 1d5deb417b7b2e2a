import type { IncomingMessage } from "node:http"
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServerRequest } from "@effect/platform-node"
import { verifyWithFallback } from "@octokit/webhooks-methods"
import { Duration, Effect, Either, Fiber, Option, Redacted, Schema } from "effect"
import { DeliveryId } from "../../domain/WorkflowRunPayload.js"
import { type DeliveryResult, processDelivery } from "../../programs/Webhooks.js"

const problem = (status: number, error: string, detail: Record<string, unknown> = {}) =>
  HttpServerResponse.unsafeJson({ error, ...detail }, { status })

export interface WebhookOptions {
  /** Every secret a signature may be made with (the first is current; the rest are being rotated out). */
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
  readonly maxBytes: number
  /**
   * How long processing may take before the delivery is answered 503 (9 seconds by default; GitHub
   * gives up after 10). Nothing is recorded for it, so a redelivery processes it again.
   */
  readonly deadline?: Duration.Duration
}

export const defaultDeadline = Duration.seconds(9)

class BodyTooLarge {
  readonly _tag = "BodyTooLarge"
}

/**
 * The body as text, at most `maxBytes`. Past that it stops keeping what arrives but lets the rest
 * drain (discarded) instead of destroying the socket: a sender without Content-Length then reads
 * the 413 rather than a connection reset. How long a sender may keep sending is the server's
 * request timeout.
 */
const readBody = (source: IncomingMessage, maxBytes: number) =>
  Effect.async<string, BodyTooLarge | Error>((resume) => {
    const chunks: Array<Buffer> = []
    let bytes = 0
    const onData = (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes > maxBytes) {
        source.off("data", onData)
        source.off("end", onEnd)
        source.resume()
        resume(Effect.fail(new BodyTooLarge()))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => resume(Effect.succeed(Buffer.concat(chunks).toString("utf8")))
    const onError = (error: Error) => resume(Effect.fail(error))
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
export const webhookRoute = (options: WebhookOptions) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const declaredLength = Number(request.headers["content-length"] ?? "0")
    if (declaredLength > options.maxBytes)
      return problem(413, "payload too large", { maxBytes: options.maxBytes })
    const body = yield* Effect.either(
      readBody(NodeHttpServerRequest.toIncomingMessage(request), options.maxBytes),
    )
    if (Either.isLeft(body))
      return body.left instanceof BodyTooLarge
        ? problem(413, "payload too large", { maxBytes: options.maxBytes }).pipe(
            HttpServerResponse.setHeader("connection", "close"),
          )
        : problem(400, "invalid body", { detail: "the body could not be read to its end" })
    const signature = request.headers["x-hub-signature-256"] ?? ""
    if (signature === "") {
      return problem(401, "missing signature", {
        detail:
          "X-Hub-Signature-256 is missing: give the GitHub webhook a secret, the same as GITHUB_WEBHOOK_SECRET",
      })
    }
    if (!(yield* verifySignature(options.secrets, body.right, signature))) {
      return problem(401, "invalid signature", {
        detail: "X-Hub-Signature-256 does not match any configured secret",
      })
    }
    const deliveryId = Schema.decodeUnknownEither(DeliveryId)(request.headers["x-github-delivery"])
    if (Either.isLeft(deliveryId)) {
      return problem(400, "invalid header", {
        header: "X-GitHub-Delivery",
        detail: "a delivery id is required",
      })
    }
    const event = request.headers["x-github-event"] ?? ""
    if (event === "")
      return problem(400, "invalid header", { header: "X-GitHub-Event", detail: "an event name is required" })
    const deadline = options.deadline ?? defaultDeadline
    const processing = processDelivery({
      deliveryId: deliveryId.right,
      event,
      headers: headerRecord(request.headers),
      body: body.right,
    }).pipe(
      Effect.map((outcome) => respond(outcome, deliveryId.right)),
      Effect.catchTags({
        MalformedPayload: (malformed) =>
          Effect.succeed(problem(400, "invalid body", { detail: malformed.detail })),
        // Not even parked (the store is down): nothing was recorded, a redelivery will process it.
        StoreError: (error) =>
          Effect.as(
            Effect.logWarning("delivery failed").pipe(
              Effect.annotateLogs({
                deliveryId: deliveryId.right,
                reason: error.reason,
                detail: error.detail,
              }),
            ),
            problem(503, "store unavailable", { reason: error.reason, deliveryId: deliveryId.right }),
          ),
      }),
      Effect.catchAllDefect((defect) =>
        Effect.as(
          Effect.logError("delivery failed", defect).pipe(
            Effect.annotateLogs({ deliveryId: deliveryId.right }),
          ),
          problem(500, "internal error", { deliveryId: deliveryId.right }),
        ),
      ),
    )
    // The answer waits at most the deadline; the processing does not stop there. It goes on to record
    // the delivery or park it, so a delivery answered "timed out" is not lost (nor is one whose
    // sender hung up).
    const running = yield* Effect.forkDaemon(processing)
    const result = yield* Fiber.join(running).pipe(
      Effect.timeoutOption(deadline),
      Effect.flatMap(
        Option.match({
          onSome: Effect.succeed,
          onNone: () =>
            Effect.as(
              Effect.logWarning("delivery timed out").pipe(
                Effect.annotateLogs({ deliveryId: deliveryId.right, deadline: Duration.format(deadline) }),
              ),
              problem(503, "timed out", { deliveryId: deliveryId.right }),
            ),
        }),
      ),
    )
    return result
  })
