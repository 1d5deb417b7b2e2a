import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3"
import { Config, Context, Duration, Effect, Layer } from "effect"
import { defaultS3ConnectionTimeout, defaultS3RequestTimeout } from "../Settings.js"

/** The raw AWS SDK client, a service of its own so tests can point it anywhere and still run the mapping. */
export class S3ClientService extends Context.Tag("run-index/S3Client")<S3ClientService, S3Client>() {}

export interface S3ClientOptions {
  /** Defaults to the SDK's own resolution (`AWS_REGION`, the shared config file). */
  readonly region?: string
  /** An S3-compatible server; addressed path-style unless `forcePathStyle` says otherwise. */
  readonly endpoint?: string
  /** Defaults to true whenever the endpoint is not AWS's own (given here or by the environment). */
  readonly forcePathStyle?: boolean
  /** Attempts per call, the SDK's retries of throttling and 5xx included (the SDK's default is 3). */
  readonly maxAttempts?: number
  /** How long opening a connection may take, per attempt (3 seconds by default). */
  readonly connectionTimeout?: Duration.DurationInput
  /** How long one attempt may take from sending the request to the end of the answer (5 seconds by default). */
  readonly requestTimeout?: Duration.DurationInput
}

export const defaultConnectionTimeout = defaultS3ConnectionTimeout
export const defaultRequestTimeout = defaultS3RequestTimeout

/**
 * The endpoint variables the SDK itself honours (`AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`).
 * The SDK reads them on its own; they are read here only to switch to path-style addressing,
 * which S3-compatible servers need.
 */
const endpointInEnvironment = Config.all(
  ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"].map((name) => Config.string(name).pipe(Config.withDefault(""))),
).pipe(Config.map((endpoints) => endpoints.some((endpoint) => endpoint.length > 0)))

/**
 * The SDK prints a multi-line notice on every Node 20 process: its releases after January 2027 will
 * need Node 22 (the README says so, and package-lock.json pins a release that runs on 20). It is not
 * news to an operator on each command, so it is off unless the variable was set otherwise.
 */
const quietNodeVersionNotice = () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true"
}

/** An S3 client for the layer's lifetime, destroyed (its sockets closed) when the scope closes. */
export const layer = (options: S3ClientOptions = {}): Layer.Layer<S3ClientService> =>
  Layer.scoped(
    S3ClientService,
    Effect.gen(function* () {
      // A string with a default cannot fail to load.
      const customEndpoint = options.endpoint !== undefined || (yield* Effect.orDie(endpointInEnvironment))
      const config: S3ClientConfig = {
        forcePathStyle: options.forcePathStyle ?? customEndpoint,
        ...(options.region === undefined ? {} : { region: options.region }),
        ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
        ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
        // The SDK builds its NodeHttpHandler from these. Without them a stalled endpoint holds a call
        // (and the webhook delivery or readiness probe waiting on it) forever; a timed-out attempt
        // fails with TimeoutError, which the SDK retries and the store reports as Unavailable.
        requestHandler: {
          connectionTimeout: Duration.toMillis(options.connectionTimeout ?? defaultConnectionTimeout),
          requestTimeout: Duration.toMillis(options.requestTimeout ?? defaultRequestTimeout),
          throwOnRequestTimeout: true,
        },
      }
      return yield* Effect.acquireRelease(
        Effect.sync(() => {
          quietNodeVersionNotice()
          return new S3Client(config)
        }),
        (client) => Effect.sync(() => client.destroy()),
      )
    }),
  )
