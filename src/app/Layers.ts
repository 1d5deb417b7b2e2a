/**
 * The composition: which adapters the service and the CLI run on, built from configuration
 * (src/adapters/Settings.ts names every variable and its default). The Node platform is provided
 * here and nowhere else; adapters ask for the file system in their requirements.
 */
import type { CommandExecutor } from "@effect/platform/CommandExecutor"
import type { FileSystem } from "@effect/platform/FileSystem"
import type { Path } from "@effect/platform/Path"
import type { Terminal } from "@effect/platform/Terminal"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { type ConfigError, Layer } from "effect"
import * as Settings from "../adapters/Settings.js"
import type { HookDeliveries } from "../ports/HookDeliveries.js"
import { WebhookSettings } from "../ports/WebhookSettings.js"
import type { WorkflowRunsGateway } from "../ports/WorkflowRunsGateway.js"
import * as GitHub from "./GitHub.js"
import * as Stores from "./Stores.js"

/** Node's file system, path, command executor and terminal. */
export const platform: Layer.Layer<CommandExecutor | FileSystem | Path | Terminal> = NodeContext.layer

/** How webhooks are processed (the service's deliveries, the CLI's replay and reconcile). */
export const webhookSettings: Layer.Layer<WebhookSettings, ConfigError.ConfigError> = Layer.effect(
  WebhookSettings,
  Settings.webhookSettings,
)

/** What the service and every CLI command run in: the stores, GitHub, the settings and the platform. */
export type Environment =
  | Stores.StoreServices
  | WorkflowRunsGateway
  | HookDeliveries
  | WebhookSettings
  | CommandExecutor
  | FileSystem
  | Path
  | Terminal

/** The environment with the stores or GitHub replaced (tests: a store kept across commands, a stand-in GitHub). */
export const environmentWith = <StoresError = ConfigError.ConfigError, GitHubError = ConfigError.ConfigError>(
  replaced: {
    readonly stores?: Layer.Layer<Stores.StoreServices, StoresError, FileSystem | Path>
    readonly github?: Layer.Layer<WorkflowRunsGateway | HookDeliveries, GitHubError>
  } = {},
): Layer.Layer<Environment, ConfigError.ConfigError | StoresError | GitHubError> =>
  Layer.mergeAll(
    replaced.stores ?? Stores.fromEnvironment,
    replaced.github ?? GitHub.layer,
    webhookSettings,
  ).pipe(Layer.provideMerge(platform))

export const environment: Layer.Layer<Environment, ConfigError.ConfigError> = environmentWith()
