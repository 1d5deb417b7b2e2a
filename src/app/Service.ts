/**
 * The service (`npm start`): the HTTP server over the environment of src/app/Layers.ts, the one
 * `run-index serve` runs it in too.
 */
import type { HttpServer } from "@effect/platform"
import { type ConfigError, type Effect, Layer } from "effect"
import * as Server from "../adapters/http/Server.js"
import * as Layers from "./Layers.js"

export const layer: Layer.Layer<HttpServer.HttpServer, Server.StartError | ConfigError.ConfigError> =
  Server.layer.pipe(Layer.provide(Layers.environment))

/** Serves until interrupted. */
export const main: Effect.Effect<never, Server.StartError | ConfigError.ConfigError> = Layer.launch(layer)
