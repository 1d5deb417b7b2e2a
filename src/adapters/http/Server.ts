import { createServer } from "node:http"
import { HttpMiddleware, HttpServer } from "@effect/platform"
import { NodeContext, NodeHttpServer } from "@effect/platform-node"
import { Console, Effect, Layer, Option } from "effect"
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

/** The HTTP service on `HOST`:`PORT`, serving until interrupted. */
export const layer: Layer.Layer<never, unknown, RunIndexStore | RequestStore | WorkflowRunsGateway> =
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const host = yield* Settings.host
      const port = yield* Settings.port
      const token = yield* apiToken
      const choice = yield* Effect.all({ bucket: Settings.bucket, directory: Settings.dataDirectory })
      yield* Console.error(`store: ${Settings.describeStore(choice.bucket, choice.directory)}`)
      return makeRouter({ apiToken: token }).pipe(
        HttpServer.serve(HttpMiddleware.logger),
        HttpServer.withLogAddress,
        Layer.provide(NodeHttpServer.layer(createServer, { host, port })),
      )
    }),
  )
