import { Command } from "@effect/cli"
import type { Layer } from "effect"
import { deliveriesCommand } from "./DeliveryCommands.js"
import { dispatchCommand } from "./DispatchCommand.js"
import { indexCommands } from "./IndexCommands.js"
import { lifecycleCommand } from "./LifecycleCommands.js"
import { reconcileCommand, serveCommand } from "./OperationCommands.js"
import { simulateCommand } from "./SimulateCommand.js"
import { webhookCommand } from "./WebhookCommand.js"

/**
 * `run-index`: the command groups, each in its own module. The whole tree is built at start-up, as
 * parsing needs it; what a command does (its programs and adapters) loads only when it runs.
 */
export const command = Command.make("run-index").pipe(
  Command.withDescription("The run index: which request owns each GitHub Actions workflow run"),
  Command.withSubcommands([
    ...indexCommands,
    lifecycleCommand,
    dispatchCommand,
    deliveriesCommand,
    reconcileCommand,
    webhookCommand,
    simulateCommand,
    serveCommand,
  ]),
)

const app = { name: "run-index", version: "0.1.0" }

/** `run-index` with `argv` (as `process.argv`); the commands' services are provided around it. */
export const run = Command.run(command, app)

/**
 * `run` with `layer` provided to the command that runs, and built only then: `--help`, `--version`
 * and usage errors build no store and reach no GitHub. @effect/cli's own services (file system,
 * path, terminal) are still provided around it.
 */
export const runProviding = <ROut, E, RIn>(layer: Layer.Layer<ROut, E, RIn>) =>
  Command.run(Command.provide(command, layer), app)
