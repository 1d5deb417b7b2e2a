import { Config, ConfigError, type Context, Duration, Either, Option, type Redacted, Schema } from "effect"
import { defaultRetentionDays, RetentionDays } from "../domain/Retention.js"
import { GitHubLogin } from "../domain/WorkflowRun.js"
import { LaneSettings } from "../ports/DispatchLanes.js"
import { HookTargetFromString } from "../ports/HookDeliveries.js"
import { defaultDeliveryDeadline, WebhookSettings } from "../ports/WebhookSettings.js"
import { defaultMaxBytes, defaultMaxDeliveries } from "./LocalDeliverySpool.js"
import { defaultLockWait } from "./objects/DirectoryObjectStore.js"

/**
 * Every environment variable the service and CLI read, in one place (the README's table), each with
 * its default. A default is the one the port or adapter applies when nothing is configured, taken
 * from it; the adapters loaded on demand (the S3 client, the HTTP service) take theirs from here, so
 * reading a setting never loads them.
 */

/** The directory store's root when none is configured. */
export const defaultDataDirectory = ".run-index"
/** Per attempt of an S3 call: opening the connection, then the request and its answer. */
export const defaultS3ConnectionTimeout = Duration.seconds(3)
export const defaultS3RequestTimeout = Duration.seconds(5)
/** How long `/readyz` waits for the store before answering 503. */
export const defaultReadyTimeout = Duration.seconds(2)

/** The bucket that holds request documents and the index; when unset, the directory store is used. */
export const bucket = Config.option(Config.nonEmptyString("TFPILOT_REQUESTS_BUCKET"))

/** The directory store's root, also where generated secrets are kept. */
export const dataDirectory = Config.nonEmptyString("RUN_INDEX_DATA_DIR").pipe(
  Config.withDefault(defaultDataDirectory),
)

export const retentionDays = Schema.Config(
  "RUN_INDEX_RETENTION_DAYS",
  Schema.compose(Schema.NumberFromString, RetentionDays),
).pipe(Config.withDefault(defaultRetentionDays))

export const awsRegion = Config.option(Config.nonEmptyString("AWS_REGION"))

/** The SDK reads this itself too; we read it to switch on path-style addressing for S3-compatible servers. */
export const s3Endpoint = Config.option(Config.nonEmptyString("AWS_ENDPOINT_URL_S3"))

export const host = Config.nonEmptyString("HOST").pipe(Config.withDefault("127.0.0.1"))
/** 0 lets the OS pick a free port; the service logs the address it listens on. */
export const port = Config.integer("PORT").pipe(
  Config.validate({
    message: "must be a port number from 0 to 65535 (0: any free port)",
    validation: (port) => port >= 0 && port <= 65535,
  }),
  Config.withDefault(8787),
)

/** A token (personal, fine-grained or `GITHUB_TOKEN`), or a GitHub App installation; redacted until Octokit gets them. */
export type GitHubAuth =
  | { readonly token: Redacted.Redacted<string> }
  | {
      readonly appId: string
      readonly privateKey: Redacted.Redacted<string>
      readonly installationId: number
    }

export interface GitHubClientSettings {
  /** `https://api.github.com`, or `https://<host>/api/v3` for GitHub Enterprise Server. */
  readonly baseUrl: string
  readonly auth: GitHubAuth
}

const unset = Config.option

/** The variables GitHub is reached with, as GitHub Actions and the README name them. */
const githubVariables = Config.all({
  baseUrl: Config.nonEmptyString("GITHUB_API_URL").pipe(Config.withDefault("https://api.github.com")),
  token: unset(Config.redacted("GITHUB_TOKEN")),
  appId: unset(Config.nonEmptyString("GITHUB_APP_ID")),
  privateKey: unset(Config.redacted("GITHUB_APP_PRIVATE_KEY")),
  installationId: unset(
    Schema.Config("GITHUB_APP_INSTALLATION_ID", Schema.compose(Schema.NumberFromString, Schema.Int)),
  ),
})

const appVariables = ["GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_INSTALLATION_ID"] as const

/**
 * How GitHub is reached (the Octokit client's options): a GitHub App installation when all three `GITHUB_APP_*`
 * variables are set (an explicit choice, preferred over a `GITHUB_TOKEN` that CI may set on its own),
 * else `GITHUB_TOKEN`. Neither, or only some of the App's variables, is a configuration error that
 * names the variables.
 */
export const githubClient: Config.Config<GitHubClientSettings> = githubVariables.pipe(
  Config.mapOrFail(
    ({
      baseUrl,
      token,
      appId,
      privateKey,
      installationId,
    }): Either.Either<GitHubClientSettings, ConfigError.ConfigError> => {
      if (Option.isSome(appId) && Option.isSome(privateKey) && Option.isSome(installationId)) {
        return Either.right({
          baseUrl,
          auth: {
            appId: appId.value,
            privateKey: privateKey.value,
            installationId: installationId.value,
          },
        })
      }
      const appVariablesSet = [Option.isSome(appId), Option.isSome(privateKey), Option.isSome(installationId)]
      if (appVariablesSet.some(Boolean)) {
        const missing = appVariables.filter((_, index) => !appVariablesSet[index])
        return Either.left(
          ConfigError.MissingData(
            [missing[0] ?? "GITHUB_APP_ID"],
            `A GitHub App needs GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID; missing ${missing.join(", ")}`,
          ),
        )
      }
      return Option.match(token, {
        onNone: () =>
          Either.left(
            ConfigError.MissingData(
              ["GITHUB_TOKEN"],
              "GitHub is not configured: set GITHUB_TOKEN, or GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID (and GITHUB_API_URL for GitHub Enterprise Server)",
            ),
          ),
        onSome: (secret) => Either.right({ baseUrl, auth: { token: secret } }),
      })
    },
  ),
)

/**
 * The login whose runs this service's dispatches create (`octocat`, `my-app[bot]`); when unset it is
 * asked of GitHub once per process (`GET /user` for a token, `GET /app` for a GitHub App).
 */
export const githubActor = Config.option(Schema.Config("GITHUB_ACTOR", GitHubLogin))

/** Bearer token for `/v1`; when unset, one is generated into the data directory. */
export const apiToken = Config.option(Config.redacted("RUN_INDEX_API_TOKEN"))

/** Webhook secrets, comma-separated for rotation (the first signs nothing; any may verify). */
export const webhookSecrets = Config.option(Config.redacted("GITHUB_WEBHOOK_SECRET"))

export const webhookMaxBytes = Config.integer("RUN_INDEX_WEBHOOK_MAX_BYTES").pipe(
  Config.validate({ message: "must be a positive number of bytes", validation: (bytes) => bytes > 0 }),
  Config.withDefault(5 * 1024 * 1024),
)

/**
 * Where a delivery goes when the store cannot even park it: a directory on this instance's disk,
 * `<RUN_INDEX_DATA_DIR>/spool` by default, moved to the store when it answers again.
 */
export const spoolDirectory = Config.option(Config.nonEmptyString("RUN_INDEX_SPOOL_DIR"))

const nonNegativeInteger = (name: string, fallback: number, what: string) =>
  Config.integer(name).pipe(
    Config.validate({
      message: `must be a number of ${what} (0 or more)`,
      validation: (value) => value >= 0,
    }),
    Config.withDefault(fallback),
  )

/** At most this many deliveries in the spool (0: no spool). */
export const spoolMaxDeliveries = nonNegativeInteger(
  "RUN_INDEX_SPOOL_MAX_DELIVERIES",
  defaultMaxDeliveries,
  "deliveries",
)

/** At most this many bytes in the spool. */
export const spoolMaxBytes = nonNegativeInteger("RUN_INDEX_SPOOL_MAX_BYTES", defaultMaxBytes, "bytes")

const units = [
  ["hour", Duration.hours(1)],
  ["minute", Duration.minutes(1)],
  ["second", Duration.seconds(1)],
] as const

/** A duration as a setting is written: `9 seconds`, `2 minutes`, `1 second`, `500 millis`. */
export const spelled = (duration: Duration.Duration): string => {
  const millis = Duration.toMillis(duration)
  for (const [unit, size] of units) {
    const count = millis / Duration.toMillis(size)
    if (count >= 1 && Number.isInteger(count)) return `${count} ${unit}${count === 1 ? "" : "s"}`
  }
  return `${millis} millis`
}

/** A positive duration (`2 seconds`, `500 millis`) read from `name`, `fallback` when unset. */
const positiveDuration = (name: string, defaultValue: Duration.Duration) => {
  const fallback = spelled(defaultValue)
  return Config.string().pipe(
    Config.withDefault(fallback),
    Config.mapOrFail((text) =>
      Option.match(
        Option.filter(Duration.decodeUnknown(text.trim()), (duration) => !Duration.isZero(duration)),
        {
          onNone: () =>
            Either.left(
              ConfigError.InvalidData(
                [],
                `must be a positive duration such as "${fallback}"; got ${JSON.stringify(text)}`,
              ),
            ),
          onSome: Either.right,
        },
      ),
    ),
    Config.nested(name),
  )
}

/** A positive duration read from `name`, or `off` (`None`); `fallback` when unset. */
const durationOrOff = (name: string, defaultValue: Duration.Duration) => {
  const fallback = spelled(defaultValue)
  return Config.string().pipe(
    Config.withDefault(fallback),
    Config.mapOrFail((text) => {
      const trimmed = text.trim()
      if (trimmed === "off") return Either.right(Option.none<Duration.Duration>())
      return Option.match(
        Option.filter(Duration.decodeUnknown(trimmed), (interval) => !Duration.isZero(interval)),
        {
          onNone: () =>
            Either.left(
              ConfigError.InvalidData(
                [],
                `must be a positive duration such as "${fallback}", or "off"; got ${JSON.stringify(text)}`,
              ),
            ),
          onSome: (interval) => Either.right(Option.some(interval)),
        },
      )
    }),
    Config.nested(name),
  )
}

/** Per attempt of an S3 call: opening the connection, then the request and its answer. */
export const s3ConnectionTimeout = positiveDuration(
  "RUN_INDEX_S3_CONNECT_TIMEOUT",
  defaultS3ConnectionTimeout,
)
export const s3RequestTimeout = positiveDuration("RUN_INDEX_S3_REQUEST_TIMEOUT", defaultS3RequestTimeout)

/** How long `/readyz` waits for the store before answering 503. */
export const readyTimeout = positiveDuration("RUN_INDEX_READY_TIMEOUT", defaultReadyTimeout)

/** How long a webhook delivery may take before it is answered 503 (GitHub gives up after 10 s). */
export const webhookDeadline = positiveDuration("RUN_INDEX_WEBHOOK_DEADLINE", defaultDeliveryDeadline)

/**
 * Limits on what any client, signed or not, may hold of the service (see the README's
 * configuration table): connections open at once (past it Node closes a new connection at once),
 * how long the headers and the whole request may take to arrive (a slow sender is answered 408 and
 * closed), how long an idle keep-alive connection stays open.
 */
export const maxConnections = Config.integer("RUN_INDEX_MAX_CONNECTIONS").pipe(
  Config.validate({ message: "must be a positive number of connections", validation: (count) => count > 0 }),
  Config.withDefault(512),
)
export const headersTimeout = positiveDuration("RUN_INDEX_HEADERS_TIMEOUT", Duration.seconds(10))
export const requestTimeout = positiveDuration("RUN_INDEX_REQUEST_TIMEOUT", Duration.seconds(30))
export const keepAliveTimeout = positiveDuration("RUN_INDEX_KEEP_ALIVE_TIMEOUT", Duration.seconds(5))

/**
 * Webhook body bytes held at once across all requests, before their signature is checked: a body
 * reserves its Content-Length (or `RUN_INDEX_WEBHOOK_MAX_BYTES` when it has none) before it is
 * read, and a request that cannot reserve it within `RUN_INDEX_WEBHOOK_BYTES_WAIT` is answered 503.
 */
export const webhookBytesInFlight = Config.integer("RUN_INDEX_WEBHOOK_BYTES_IN_FLIGHT").pipe(
  Config.validate({ message: "must be a positive number of bytes", validation: (bytes) => bytes > 0 }),
  Config.withDefault(32 * 1024 * 1024),
)
export const webhookBytesWait = positiveDuration("RUN_INDEX_WEBHOOK_BYTES_WAIT", Duration.seconds(1))

/** How long a directory-store compare-and-set waits for another writer's lock. */
export const lockWait = positiveDuration("RUN_INDEX_LOCK_WAIT", defaultLockWait)

/**
 * How often the service replays parked deliveries: a duration (`30 seconds`, `5 minutes`), or `off`.
 * While deliveries stay parked the wait grows from this; see `replayBackoff` in the server.
 */
export const replayInterval = durationOrOff("RUN_INDEX_REPLAY_INTERVAL", Duration.seconds(30))

/**
 * The webhook whose failed deliveries `deliveries recover` asks GitHub to redeliver:
 * `repo:<owner>/<repo>/<hook id>`, `org:<org>/<hook id>` or `app`.
 */
export const githubHook = Config.option(Schema.Config("RUN_INDEX_GITHUB_HOOK", HookTargetFromString))

/** How often the service runs `deliveries recover`: a duration, or `off`. */
export const recoverInterval = durationOrOff("RUN_INDEX_RECOVER_INTERVAL", Duration.minutes(5))

/** How far back each of the service's recover passes looks. */
export const recoverLookback = positiveDuration("RUN_INDEX_RECOVER_LOOKBACK", Duration.hours(6))

/** After its polls end, how long a dispatch keeps its lane for a run GitHub creates late. */
export const laneWindow = positiveDuration(
  "RUN_INDEX_LANE_WINDOW",
  Duration.millis(LaneSettings.defaultValue().lateRunWindowMillis),
)

/** How long a dispatch waits for a lane other dispatches hold before it fails without dispatching. */
export const laneWait = positiveDuration(
  "RUN_INDEX_LANE_WAIT",
  Duration.millis(LaneSettings.defaultValue().waitMillis),
)

/**
 * How many recently modified request documents a destroy webhook that misses the index scans: the
 * seed's list-based lookup, for deployments migrating from before the index (0, off, by default).
 */
export const destroyScanLimit = nonNegativeInteger(
  "RUN_INDEX_DESTROY_SCAN_LIMIT",
  WebhookSettings.defaultValue().destroyScanLimit,
  "request documents",
)

/**
 * How webhooks are processed and correlated, by the service and by the CLI's replay and reconcile:
 * the port's defaults with what is configured. The HTTP route narrows the processing budget of each
 * delivery it answers to a second under `RUN_INDEX_WEBHOOK_DEADLINE`.
 */
export const webhookSettings: Config.Config<Context.Tag.Service<typeof WebhookSettings>> = Config.map(
  destroyScanLimit,
  (limit) => ({ ...WebhookSettings.defaultValue(), destroyScanLimit: limit }),
)

/** How logs are written to stderr: `json` (one object per line), `pretty`; unset: pretty on a terminal, else json. */
export const logFormat = Config.option(Config.literal("json", "pretty")("RUN_INDEX_LOG_FORMAT"))

export const describeStore = (bucketName: Option.Option<string>, directory: string): string =>
  Option.match(bucketName, { onNone: () => `directory ${directory}`, onSome: (name) => `s3://${name}` })
