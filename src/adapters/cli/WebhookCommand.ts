import { randomUUID } from "node:crypto"
import { Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import * as FileSystem from "@effect/platform/FileSystem"
import { Console, Effect, Option, Schema } from "effect"
import { describeParseError } from "../../domain/EntryValidation.js"
import { DeliveryId } from "../../domain/WorkflowRunPayload.js"
import { sendingVariables, withEnvironment } from "./Environment.js"
import { decodedOption, json } from "./Inputs.js"
import { ExitCode, exitWith, printJson } from "./Output.js"

/** GitHub's event names (`workflow_run`, `ping`, `push`, …): lower-case words joined by underscores. */
const WebhookEvent = Schema.String.pipe(
  Schema.pattern(/^[a-z]+(_[a-z]+)*$/, { message: () => "must be a GitHub event name such as workflow_run" }),
)
const WebhookUrl = Schema.URL.pipe(
  Schema.filter((url) => url.protocol === "http:" || url.protocol === "https:" || "must be an http(s) URL"),
)
const payloadFile = Options.file("file").pipe(
  Options.withDescription("the payload to send, a JSON file (sent byte for byte, as signed)"),
  Options.mapEffect((path) =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const text = yield* fs
        .readFileString(path)
        .pipe(
          Effect.mapError((error) =>
            ValidationError.invalidValue(
              HelpDoc.p(
                `--file ${path}: cannot be read (${error._tag === "SystemError" ? error.reason : error.message})`,
              ),
            ),
          ),
        )
      yield* Schema.decodeUnknown(Schema.parseJson())(text).pipe(
        Effect.mapError((error) =>
          ValidationError.invalidValue(HelpDoc.p(`--file ${path}: not JSON: ${describeParseError(error)}`)),
        ),
      )
      return text
    }),
  ),
)

const send = Command.make(
  "send",
  {
    event: decodedOption("event", WebhookEvent).pipe(
      Options.withDescription("the X-GitHub-Event header, e.g. workflow_run or ping"),
    ),
    body: payloadFile,
    url: decodedOption("url", WebhookUrl).pipe(
      Options.optional,
      Options.withDescription("where to post (default http://HOST:PORT/webhooks/github)"),
    ),
    delivery: decodedOption("delivery", DeliveryId).pipe(
      Options.optional,
      Options.withDescription(
        "the X-GitHub-Delivery header (default a random UUID); reuse one to see a duplicate",
      ),
    ),
    json,
  },
  (input) =>
    Effect.gen(function* () {
      const [WebhookSend, FetchHttpClient] = yield* Effect.promise(() =>
        Promise.all([import("./WebhookSend.js"), import("@effect/platform/FetchHttpClient")]),
      )
      const url = yield* Option.match(input.url, {
        onNone: () => WebhookSend.defaultWebhookUrl,
        onSome: (given) => Effect.succeed(given.href),
      })
      const deliveryId = Option.getOrElse(input.delivery, () => randomUUID())
      const answer = yield* WebhookSend.sendWebhook({
        url,
        event: input.event,
        deliveryId,
        body: input.body,
      }).pipe(Effect.provide(FetchHttpClient.layer))
      yield* input.json
        ? printJson({ deliveryId, url, status: answer.status, body: WebhookSend.answerBody(answer) })
        : Console.log(`${answer.status} from ${url} (delivery ${deliveryId})\n${answer.text}`)
      if (answer.status < 200 || answer.status > 299) return yield* exitWith(ExitCode.Failure)
    }),
).pipe(
  Command.withDescription(
    withEnvironment(
      sendingVariables,
      "sign a payload with the webhook secret (GITHUB_WEBHOOK_SECRET, else the service's generated one) and post it as GitHub would; exit 1 unless the answer is 2xx",
    ),
  ),
)

/** `webhook send`: WebhookSend and the HTTP client load when it runs. */
export const webhookCommand = Command.make("webhook").pipe(
  Command.withDescription("talk to the service's webhook endpoint by hand"),
  Command.withSubcommands([send]),
)
