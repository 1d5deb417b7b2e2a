import { createServer } from "node:http"
import { HttpServer } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import type { FileSystem } from "@effect/platform/FileSystem"
import type { ServeError } from "@effect/platform/HttpServerError"
import type { Path } from "@effect/platform/Path"
import { NodeHttpServer } from "@effect/platform-node"
import { type ConfigError, Duration, Effect, Layer, Option } from "effect"
import { AttemptEvents } from "../../ports/AttemptEvents.js"
import type { DeliveryLog } from "../../ports/DeliveryLog.js"
import type { DispatchLanes } from "../../ports/DispatchLanes.js"
import { describeHook, HookDeliveries } from "../../ports/HookDeliveries.js"
import type { RequestStore } from "../../ports/RequestStore.js"
import type { RunIndexStore } from "../../ports/RunIndexStore.js"
import type { WorkflowRunsGateway } from "../../ports/WorkflowRunsGateway.js"
import { recoverContinually } from "../../programs/Recover.js"
import { replayContinually } from "../../programs/Webhooks.js"
import type { EmptySecretFile } from "../GeneratedSecret.js"
import * as InFlightDeliveries from "../InFlightDeliveries.js"
import * as Secrets from "../Secrets.js"
import * as Settings from "../Settings.js"
import { accessLog } from "./AccessLog.js"
import * as BodyBudget from "./BodyBudget.js"
import { makeRouter } from "./HttpService.js"

/** Attempt state changes, logged one line each. */
const logAttemptEvents = Layer.succeed(AttemptEvents, {
  publish: (events) =>
    Effect.forEach(
      events,
      ({ requestId, event }) => Effect.logInfo(event._tag).pipe(Effect.annotateLogs({ requestId, ...event })),
      {
        discard: true,
      },
    ),
})

/**
 * Replays parked deliveries on a fiber that lives as long as the service (see `replayContinually`
 * for the backoff, and why instances replaying at once do no harm); nothing when `interval` is `None`.
 */
export const backgroundReplay = (
  interval: Option.Option<Duration.Duration>,
): Layer.Layer<never, never, RunIndexStore | RequestStore | DeliveryLog | DispatchLanes> =>
  Option.match(interval, {
    onNone: (): Layer.Layer<never> => Layer.empty,
    onSome: (every) => Layer.scopedDiscard(Effect.forkScoped(replayContinually(every))),
  })

/**
 * Asks GitHub to redeliver failed deliveries (`recoverContinually`) on a fiber that lives as long as
 * the service; nothing when `interval` is `None` or no hook is configured.
 */
export const backgroundRecover = (
  interval: Option.Option<Duration.Duration>,
  lookback: Duration.Duration,
): Layer.Layer<never, never, HookDeliveries | DeliveryLog> =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const hooks = yield* HookDeliveries
      if (Option.isNone(interval) || Option.isNone(hooks.target)) return
      yield* Effect.forkScoped(recoverContinually(interval.value, lookback))
    }),
  )

export interface ServerLimits {
  readonly maxConnections: number
  readonly headersTimeout: Duration.Duration
  readonly requestTimeout: Duration.Duration
  readonly keepAliveTimeout: Duration.Duration
}

/**
 * A Node server with the limits set. Node checks the header and request timeouts on a timer
 * (`connectionsCheckingInterval`, 30 s by default), so the timer runs at a quarter of the shorter
 * timeout for a timeout to be enforced close to its value. Node requires the header timeout to be
 * at most the request timeout: the header timeout is clamped to it.
 */
export const limitedServer = (limits: ServerLimits) => () => {
  const requestTimeout = Duration.toMillis(limits.requestTimeout)
  const headersTimeout = Math.min(Duration.toMillis(limits.headersTimeout), requestTimeout)
  const server = createServer({
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: Duration.toMillis(limits.keepAliveTimeout),
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(headersTimeout / 4))),
  })
  server.maxConnections = limits.maxConnections
  return server
}

/** Why the service did not start: a setting, the secrets in the data directory, or listening. */
export type StartError = ConfigError.ConfigError | PlatformError | EmptySecretFile | ServeError

/**
 * The HTTP service on `HOST`:`PORT`, serving until interrupted, and the background replay and
 * recover. It provides its `HttpServer`, whose `address` says the port when `PORT` is 0. The file
 * system (for the generated secrets) and the stores come from the composition (src/app).
 */
export const layer: Layer.Layer<
  HttpServer.HttpServer,
  StartError,
  | RunIndexStore
  | RequestStore
  | DeliveryLog
  | DispatchLanes
  | WorkflowRunsGateway
  | HookDeliveries
  | FileSystem
  | Path
> = Layer.unwrapEffect(
  Effect.gen(function* () {
    const host = yield* Settings.host
    const port = yield* Settings.port
    const token = yield* Secrets.apiToken
    const secrets = yield* Secrets.webhookSecrets
    const maxBytes = yield* Settings.webhookMaxBytes
    const deadline = yield* Settings.webhookDeadline
    const bytesInFlight = yield* Settings.webhookBytesInFlight
    const bytesWait = yield* Settings.webhookBytesWait
    const limits = yield* Effect.all({
      maxConnections: Settings.maxConnections,
      headersTimeout: Settings.headersTimeout,
      requestTimeout: Settings.requestTimeout,
      keepAliveTimeout: Settings.keepAliveTimeout,
    })
    const bodyBudget = yield* BodyBudget.make(bytesInFlight, bytesWait)
    const readyTimeout = yield* Settings.readyTimeout
    const replayInterval = yield* Settings.replayInterval
    const recoverInterval = yield* Settings.recoverInterval
    const recoverLookback = yield* Settings.recoverLookback
    const hooks = yield* HookDeliveries
    const choice = yield* Effect.all({ bucket: Settings.bucket, directory: Settings.dataDirectory })
    yield* Effect.logInfo(`store: ${Settings.describeStore(choice.bucket, choice.directory)}`)
    yield* Effect.logInfo(
      Option.match(replayInterval, {
        onNone: () => "parked deliveries: background replay off (RUN_INDEX_REPLAY_INTERVAL=off)",
        onSome: (every) =>
          `parked deliveries: replayed every ${Duration.format(every)}, backing off while some stay parked`,
      }),
    )
    yield* Effect.logInfo(
      Option.match(hooks.target, {
        onNone: () =>
          "failed deliveries: not recovered from GitHub (set RUN_INDEX_GITHUB_HOOK and GitHub credentials)",
        onSome: (target) =>
          Option.match(recoverInterval, {
            onNone: () => "failed deliveries: recovery from GitHub off (RUN_INDEX_RECOVER_INTERVAL=off)",
            onSome: (every) =>
              `failed deliveries: redelivery from GitHub (${describeHook(target)}) asked every ${Duration.format(every)}`,
          }),
      }),
    )
    return makeRouter({
      apiToken: token,
      webhook: { secrets, maxBytes, deadline, bodyBudget },
      readyTimeout,
    }).pipe(
      HttpServer.serve(accessLog),
      HttpServer.withLogAddress,
      Layer.provideMerge(NodeHttpServer.layer(limitedServer(limits), { host, port })),
      Layer.merge(backgroundReplay(replayInterval)),
      Layer.merge(backgroundRecover(recoverInterval, recoverLookback)),
      Layer.provide(logAttemptEvents),
      Layer.provide(InFlightDeliveries.layer),
    )
  }),
)
