#!/usr/bin/env node
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Layer } from "effect"
import * as Cli from "./adapters/cli/Cli.js"
import { runCli } from "./adapters/cli/Main.js"
import * as GatewayFromEnvironment from "./adapters/github/GatewayFromEnvironment.js"
import * as Stores from "./adapters/Stores.js"

runCli(
  Cli.runProviding(Layer.merge(Stores.fromEnvironment, GatewayFromEnvironment.layer))(process.argv).pipe(
    Effect.provide(NodeContext.layer),
  ),
)
