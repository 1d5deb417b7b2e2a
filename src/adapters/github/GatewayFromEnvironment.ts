import { ConfigError, Effect, Either, Layer, Stream } from "effect"
import { GatewayError, WorkflowRunsGateway } from "../../ports/WorkflowRunsGateway.js"

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

/**
 * GitHub through Octokit, configured from `GITHUB_API_URL`, `GITHUB_TOKEN` or the `GITHUB_APP_*`
 * variables, and `GITHUB_ACTOR` for the identity when it is set. Without them, commands that need GitHub fail with a message naming the variables,
 * and the index commands and the service run as usual. Octokit is loaded only when configured.
 */
export const layer: Layer.Layer<WorkflowRunsGateway, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.gen(function* () {
    const [OctokitClient, OctokitGateway] = yield* Effect.promise(() =>
      Promise.all([import("./OctokitClient.js"), import("./OctokitGateway.js")]),
    )
    const options = yield* Effect.either(OctokitClient.config)
    if (Either.isRight(options)) {
      return OctokitGateway.layerConfig.pipe(Layer.provide(OctokitClient.layer(options.right)))
    }
    const error = options.left
    if (ConfigError.isMissingData(error))
      return Layer.succeed(WorkflowRunsGateway, notConfigured(error.message))
    return yield* Effect.fail(error)
  }),
)
