#!/usr/bin/env node
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect } from "effect"
import * as Cli from "./adapters/cli/Cli.js"
import { runCli } from "./adapters/cli/Main.js"
import * as GatewayFromEnvironment from "./adapters/github/GatewayFromEnvironment.js"
import * as Stores from "./adapters/Stores.js"

runCli(
  Cli.run(process.argv).pipe(
    Effect.provide(Stores.fromEnvironment),
    Effect.provide(GatewayFromEnvironment.layer),
    Effect.provide(NodeContext.layer),
  ),
)
