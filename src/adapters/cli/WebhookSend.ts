import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { sign } from "@octokit/webhooks-methods"
import { Data, Effect, Option, Redacted, Schema } from "effect"
import * as Secrets from "../Secrets.js"
import * as Settings from "../Settings.js"

/** The service did not answer: nothing listens there, or it took too long. */
export class WebhookUnreachable extends Data.TaggedError("WebhookUnreachable")<{
  readonly url: string
  readonly detail: string
}> {
  override get message(): string {
    return `cannot reach ${this.url}: ${this.detail} (is the service running? npm start)`
  }
}

/**
 * The service's own webhook URL, from `HOST` and `PORT`. A service listening on every address
 * (`0.0.0.0`, `::`) is reached on loopback.
 */
export const defaultWebhookUrl = Effect.map(
  Effect.all({ host: Settings.host, port: Settings.port }),
  ({ host, port }) => {
    const reachable = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host
    const authority = reachable.includes(":") ? `[${reachable}]` : reachable
    return `http://${authority}:${port}/webhooks/github`
  },
)

export interface WebhookDelivery {
  readonly url: string
  readonly event: string
  readonly deliveryId: string
  /** The exact bytes to sign and send. */
  readonly body: string
}

const decodeJson = Schema.decodeUnknownOption(Schema.parseJson())

/**
 * Signs `body` as GitHub does (`X-Hub-Signature-256`, with the secret from `Secrets.signingSecret`)
 * and posts it with GitHub's headers. Any answer, 2xx or not, is returned; only a service that
 * cannot be reached fails. The secret never leaves this function.
 */
export const sendWebhook = Effect.fn("WebhookSend.sendWebhook")(function* (delivery: WebhookDelivery) {
  const secret = yield* Secrets.signingSecret
  const signature = yield* Effect.promise(() => sign(Redacted.value(secret), delivery.body))
  const client = yield* HttpClient.HttpClient
  const unreachable = (detail: string) => new WebhookUnreachable({ url: delivery.url, detail })
  const response = yield* client
    .execute(
      HttpClientRequest.post(delivery.url).pipe(
        HttpClientRequest.setHeaders({
          "user-agent": "run-index-webhook-send",
          "x-github-event": delivery.event,
          "x-github-delivery": delivery.deliveryId,
          "x-hub-signature-256": signature,
        }),
        HttpClientRequest.bodyText(delivery.body, "application/json"),
      ),
    )
    .pipe(
      // GitHub gives up after 10 s; the service answers well within that, so 30 s means something is wrong.
      Effect.timeoutFail({ duration: "30 seconds", onTimeout: () => unreachable("no answer within 30 s") }),
      Effect.catchTag("RequestError", (error) =>
        Effect.fail(unreachable(error.cause instanceof Error ? describeCause(error.cause) : error.message)),
      ),
    )
  const text = yield* response.text.pipe(Effect.orElseSucceed(() => ""))
  return { status: response.status, text, json: decodeJson(text) }
})

/** fetch's "fetch failed" hides the reason (ECONNREFUSED, …) in its own cause. */
const describeCause = (error: Error): string =>
  error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message

export type WebhookAnswer = Effect.Effect.Success<ReturnType<typeof sendWebhook>>

/** The answer's body: its JSON when it is JSON, else its text. */
export const answerBody = (answer: WebhookAnswer): unknown => Option.getOrElse(answer.json, () => answer.text)
