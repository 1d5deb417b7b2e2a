#!/usr/bin/env node
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Layer } from "effect"
import { runCli } from "./adapters/cli/Main.js"
import * as GatewayFromEnvironment from "./adapters/github/GatewayFromEnvironment.js"
import * as Server from "./adapters/http/Server.js"
import * as Stores from "./adapters/Stores.js"

runCli(
  Layer.launch(Server.layer).pipe(
    Effect.provide(Stores.fromEnvironment),
    Effect.provide(GatewayFromEnvironment.layer),
    Effect.provide(NodeContext.layer),
  ),
)
