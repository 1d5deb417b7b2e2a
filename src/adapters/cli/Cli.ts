import { Command } from "@effect/cli"
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

export const run = Command.run(command, { name: "run-index", version: "0.1.0" })
