import { createAppAuth } from "@octokit/auth-app"
import { retry } from "@octokit/plugin-retry"
import { throttling } from "@octokit/plugin-throttling"
import { Octokit } from "@octokit/rest"
import { type Config, type ConfigError, Context, Duration, Effect, Layer, Redacted, Runtime } from "effect"
import * as Settings from "../Settings.js"

/** Octokit with GitHub's advised pacing and rate-limit handling, and retries of 5xx and network failures. */
const ThrottledOctokit: typeof Octokit = Octokit.plugin(throttling, retry)

/** The raw Octokit, a service of its own so tests can point it at a stand-in and still run the mapping. */
export class OctokitClient extends Context.Tag("run-index/OctokitClient")<OctokitClient, OctokitInstance>() {}

/** Named so declaration files can refer to it. */
export interface OctokitInstance extends Octokit {}

/** Secrets stay redacted until `authOptions` hands them to Octokit. */
export type OctokitAuth = Settings.GitHubAuth

export interface OctokitClientOptions {
  /** `https://api.github.com`, or `https://<host>/api/v3` for GitHub Enterprise Server. */
  readonly baseUrl: string
  /** A token (personal, fine-grained or `GITHUB_TOKEN`), or a GitHub App installation. */
  readonly auth: OctokitAuth
  /**
   * Retries of a 5xx or network failure, 1 s then 4 s apart (default 2). Rate limits are not retried
   * here but by the throttling plugin, and the gateway never lets a dispatch be retried.
   */
  readonly retries?: number
  /** Prefixed to Octokit's own user agent (default `run-index`). */
  readonly userAgent?: string
  /** How many times one request waits out a rate limit before the failure surfaces (default 1). */
  readonly rateLimitRetries?: number
  /** The longest rate-limit wait taken in-process (default 60 s); a longer one surfaces as the failure. */
  readonly longestRateLimitWait?: Duration.DurationInput
  /**
   * How long one second of the plugins' waits lasts: GitHub's `retry-after`, the retry backoff.
   * One second, except in tests against a local stand-in.
   */
  readonly retryWaitUnit?: Duration.DurationInput
  /**
   * The throttling plugin: one write a second and the rate-limit waits above (default on). Off only
   * for a stand-in that needs no pacing; without it a rate limit always surfaces at once.
   */
  readonly throttling?: boolean
}

/** Failures the caller is told about rather than retried blindly: rate limits go to the throttling plugin. */
const doNotRetry = [400, 401, 403, 404, 410, 422, 429, 451]

/**
 * A key pasted into a single-line variable often carries its line breaks as the two characters `\n`.
 * Neither PEM nor base64 ever contains a backslash, so turning them back is always safe.
 */
const restoreLineBreaks = (key: string): string => key.replaceAll("\\n", "\n")

/** The one place the secrets are unwrapped: Octokit's own options. */
const authOptions = (auth: OctokitAuth) =>
  "token" in auth
    ? { auth: Redacted.value(auth.token) }
    : {
        authStrategy: createAppAuth,
        auth: {
          appId: auth.appId,
          privateKey: restoreLineBreaks(Redacted.value(auth.privateKey)),
          installationId: auth.installationId,
        },
      }

/**
 * An Octokit for the layer's lifetime. It holds nothing to release: requests go through the global
 * `fetch`, each with its own abort signal. Octokit's log goes to Effect's logger, messages only (never
 * the request options, which carry headers).
 */
export const layer = (options: OctokitClientOptions): Layer.Layer<OctokitClient> =>
  Layer.effect(
    OctokitClient,
    Effect.gen(function* () {
      const runtime = yield* Effect.runtime<never>()
      const logAt =
        (log: (message: string) => Effect.Effect<void>) =>
        (message: string): void => {
          Runtime.runFork(runtime)(log(String(message)))
        }
      const rateLimitRetries = options.rateLimitRetries ?? 1
      const longestWaitSeconds = Duration.toSeconds(options.longestRateLimitWait ?? Duration.minutes(1))
      const waitUnitMillis = Duration.toMillis(options.retryWaitUnit ?? Duration.seconds(1))
      /** Wait in-process only when it is short and this request has not waited too often already. */
      const waitOutRateLimit = (
        retryAfterSeconds: number,
        _options: unknown,
        _octokit: unknown,
        retryCount: number,
      ) => retryCount < rateLimitRetries && retryAfterSeconds <= longestWaitSeconds

      return new ThrottledOctokit({
        ...authOptions(options.auth),
        baseUrl: options.baseUrl.replace(/\/+$/, ""),
        userAgent: options.userAgent ?? "run-index",
        log: {
          // The request log plugin reports every request at info and every non-2xx (304s and 404s
          // included) at error: traces, not failures. The gateway reports real failures itself.
          debug: () => undefined,
          info: logAt(Effect.logDebug),
          warn: logAt(Effect.logWarning),
          error: logAt(Effect.logDebug),
        },
        retry: {
          retries: options.retries ?? 2,
          doNotRetry,
          retryAfterBaseValue: waitUnitMillis,
        },
        throttle:
          options.throttling === false
            ? { enabled: false }
            : {
                // The plugin's limiters are shared by every Octokit in the process with the same id.
                id: `run-index ${options.baseUrl}`,
                retryAfterBaseValue: waitUnitMillis,
                onRateLimit: waitOutRateLimit,
                onSecondaryRateLimit: waitOutRateLimit,
              },
      })
    }),
  )

/**
 * The client options from the environment (`Settings.githubClient`): a GitHub App installation when
 * all three `GITHUB_APP_*` variables are set, else `GITHUB_TOKEN`; neither is a ConfigError naming them.
 */
export const config: Config.Config<OctokitClientOptions> = Settings.githubClient

/** The client from the environment (see `config`); fails with a ConfigError naming the variables. */
export const layerConfig: Layer.Layer<OctokitClient, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(config, layer),
)
