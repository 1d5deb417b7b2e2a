import { createServer } from "node:http"
import { HttpMiddleware, HttpServer } from "@effect/platform"
import { NodeContext, NodeHttpServer } from "@effect/platform-node"
import { Console, Effect, Layer, Option, Redacted } from "effect"
import { AttemptEvents } from "../../ports/AttemptEvents.js"
import type { DeliveryLog } from "../../ports/DeliveryLog.js"
import type { RequestStore } from "../../ports/RequestStore.js"
import type { RunIndexStore } from "../../ports/RunIndexStore.js"
import type { WorkflowRunsGateway } from "../../ports/WorkflowRunsGateway.js"
import { loadOrGenerate } from "../GeneratedSecret.js"
import * as Settings from "../Settings.js"
import { makeRouter } from "./HttpService.js"

/** The API token: `RUN_INDEX_API_TOKEN`, else one generated into the data directory. */
const apiToken = Effect.gen(function* () {
  const configured = yield* Settings.apiToken
  if (Option.isSome(configured)) return configured.value
  const directory = yield* Settings.dataDirectory
  const { secret, file, generated } = yield* loadOrGenerate(directory, "api-token")
  yield* Console.error(`API token ${generated ? "generated at" : "read from"} ${file} (mode 0600)`)
  return secret
}).pipe(Effect.provide(NodeContext.layer))

/** Webhook secrets: `GITHUB_WEBHOOK_SECRET` (comma-separated for rotation), else one generated into the data directory. */
const webhookSecrets = Effect.gen(function* () {
  const configured = yield* Settings.webhookSecrets
  if (Option.isSome(configured)) {
    const secrets = Redacted.value(configured.value)
      .split(",")
      .map((secret) => secret.trim())
      .filter((secret) => secret.length > 0)
      .map((secret) => Redacted.make(secret))
    if (secrets.length > 0) return secrets
  }
  const directory = yield* Settings.dataDirectory
  const { secret, file, generated } = yield* loadOrGenerate(directory, "webhook-secret")
  yield* Console.error(`webhook secret ${generated ? "generated at" : "read from"} ${file} (mode 0600)`)
  return [secret]
}).pipe(Effect.provide(NodeContext.layer))

/** Attempt state changes, logged one line each. */
const logAttemptEvents = Layer.succeed(AttemptEvents, {
  publish: (events) =>
    Effect.forEach(
      events,
      ({ requestId, event }) => Effect.logInfo(event._tag).pipe(Effect.annotateLogs({ requestId, ...event })),
      {
        discard: true,
      },
    ),
})

/** The HTTP service on `HOST`:`PORT`, serving until interrupted. */
export const layer: Layer.Layer<
  never,
  unknown,
  RunIndexStore | RequestStore | DeliveryLog | WorkflowRunsGateway
> = Layer.unwrapEffect(
  Effect.gen(function* () {
    const host = yield* Settings.host
    const port = yield* Settings.port
    const token = yield* apiToken
    const secrets = yield* webhookSecrets
    const maxBytes = yield* Settings.webhookMaxBytes
    const choice = yield* Effect.all({ bucket: Settings.bucket, directory: Settings.dataDirectory })
    yield* Console.error(`store: ${Settings.describeStore(choice.bucket, choice.directory)}`)
    return makeRouter({ apiToken: token, webhook: { secrets, maxBytes } }).pipe(
      HttpServer.serve(HttpMiddleware.logger),
      HttpServer.withLogAddress,
      Layer.provide(NodeHttpServer.layer(createServer, { host, port })),
      Layer.provide(logAttemptEvents),
    )
  }),
)
