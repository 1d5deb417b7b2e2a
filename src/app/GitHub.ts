import { ConfigError, Effect, Either, Layer, Option, Stream } from "effect"
import * as Settings from "../adapters/Settings.js"
import * as HookDeliveriesPort from "../ports/HookDeliveries.js"
import { GatewayError, WorkflowRunsGateway } from "../ports/WorkflowRunsGateway.js"

/** Every call fails with `NotConfigured`, naming what to set; the rest of the service keeps working. */
const notConfigured = (detail: string) => {
  const error = (operation: string) => new GatewayError({ reason: "NotConfigured", operation, detail })
  return WorkflowRunsGateway.of({
    identity: Effect.fail(error("identity")),
    dispatch: () => Effect.fail(error("dispatch")),
    listRuns: () => Stream.fail(error("listRuns")),
    getRun: () => Effect.fail(error("getRun")),
  })
}

const hookVariableHint =
  "set RUN_INDEX_GITHUB_HOOK to the webhook whose deliveries to recover: repo:<owner>/<repo>/<hook id>, org:<org>/<hook id> or app"

/**
 * GitHub through Octokit, configured from `GITHUB_API_URL`, `GITHUB_TOKEN` or the `GITHUB_APP_*`
 * variables, and `GITHUB_ACTOR` for the identity when it is set; and the deliveries of the webhook
 * `RUN_INDEX_GITHUB_HOOK` names. Without them, commands that need GitHub fail with a message naming
 * the variables, and the index commands and the service run as usual. Octokit is loaded only when
 * configured.
 */
export const layer: Layer.Layer<
  WorkflowRunsGateway | HookDeliveriesPort.HookDeliveries,
  ConfigError.ConfigError
> = Layer.unwrapEffect(
  Effect.gen(function* () {
    const [OctokitClient, OctokitGateway, OctokitHookDeliveries] = yield* Effect.promise(() =>
      Promise.all([
        import("../adapters/github/OctokitClient.js"),
        import("../adapters/github/OctokitGateway.js"),
        import("../adapters/github/OctokitHookDeliveries.js"),
      ]),
    )
    const options = yield* Effect.either(OctokitClient.config)
    const hook = yield* Settings.githubHook
    if (Either.isRight(options)) {
      const hooks = Option.match(hook, {
        onNone: () =>
          Layer.succeed(
            HookDeliveriesPort.HookDeliveries,
            HookDeliveriesPort.notConfigured(hookVariableHint),
          ),
        onSome: (target) =>
          target._tag === "App" && "token" in options.right.auth
            ? Layer.succeed(
                HookDeliveriesPort.HookDeliveries,
                HookDeliveriesPort.notConfigured(
                  "the App's webhook (RUN_INDEX_GITHUB_HOOK=app) is read with the App's own key: set GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID",
                ),
              )
            : OctokitHookDeliveries.layer(target),
      })
      return Layer.merge(OctokitGateway.layerConfig, hooks).pipe(
        Layer.provide(OctokitClient.layer(options.right)),
      )
    }
    const error = options.left
    if (ConfigError.isMissingData(error))
      return Layer.merge(
        Layer.succeed(WorkflowRunsGateway, notConfigured(error.message)),
        Layer.succeed(HookDeliveriesPort.HookDeliveries, HookDeliveriesPort.notConfigured(error.message)),
      )
    return yield* Effect.fail(error)
  }),
)
