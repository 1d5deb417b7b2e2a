import { Data, Effect, Option, Redacted } from "effect"
import * as GeneratedSecret from "./GeneratedSecret.js"
import * as Settings from "./Settings.js"

const apiTokenFile = "api-token"
const webhookSecretFile = "webhook-secret"

/** No secret to sign a webhook with: none configured, and the service has not generated one here. */
export class NoWebhookSecret extends Data.TaggedError("NoWebhookSecret")<{ readonly file: string }> {
  override get message(): string {
    return `no webhook secret: GITHUB_WEBHOOK_SECRET is unset and ${this.file} does not exist (start the service once, or point RUN_INDEX_DATA_DIR at its data directory)`
  }
}

/** `GITHUB_WEBHOOK_SECRET` split on commas, blanks dropped; empty when unset. */
const configuredWebhookSecrets = Effect.map(Settings.webhookSecrets, (configured) =>
  Option.match(configured, {
    onNone: () => [],
    onSome: (value) =>
      Redacted.value(value)
        .split(",")
        .map((secret) => secret.trim())
        .filter((secret) => secret.length > 0)
        .map((secret) => Redacted.make(secret)),
  }),
)

/** The API token: `RUN_INDEX_API_TOKEN`, else one generated into the data directory (its path printed, never its value). */
export const apiToken = Effect.gen(function* () {
  const configured = yield* Settings.apiToken
  if (Option.isSome(configured)) return configured.value
  const directory = yield* Settings.dataDirectory
  const { secret, file, generated } = yield* GeneratedSecret.loadOrGenerate(directory, apiTokenFile)
  yield* Effect.logInfo(`API token ${generated ? "generated at" : "read from"} ${file} (mode 0600)`)
  return secret
})

/**
 * The secrets a delivery may be signed with: `GITHUB_WEBHOOK_SECRET` (comma-separated for rotation),
 * else one generated into the data directory (its path printed, never its value).
 */
export const webhookSecrets = Effect.gen(function* () {
  const configured = yield* configuredWebhookSecrets
  if (configured.length > 0) return configured
  const directory = yield* Settings.dataDirectory
  const { secret, file, generated } = yield* GeneratedSecret.loadOrGenerate(directory, webhookSecretFile)
  yield* Effect.logInfo(`webhook secret ${generated ? "generated at" : "read from"} ${file} (mode 0600)`)
  return [secret]
})

/**
 * The secret that signs a delivery sent by hand: the first of `GITHUB_WEBHOOK_SECRET`, else the one
 * the service generated into the data directory. Never generates one: a fresh secret the service
 * does not know would only earn a 401.
 */
export const signingSecret = Effect.gen(function* () {
  const [current] = yield* configuredWebhookSecrets
  if (current !== undefined) return current
  const directory = yield* Settings.dataDirectory
  const { file, secret } = yield* GeneratedSecret.load(directory, webhookSecretFile)
  return yield* Option.match(secret, {
    onNone: () => Effect.fail(new NoWebhookSecret({ file })),
    onSome: Effect.succeed,
  })
})
