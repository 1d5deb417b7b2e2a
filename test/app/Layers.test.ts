import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { ConfigError, ConfigProvider, Effect, Exit, Layer } from "effect"
import * as Layers from "../../src/app/Layers.js"
import { Retention } from "../../src/ports/Retention.js"
import { WebhookSettings } from "../../src/ports/WebhookSettings.js"

const configured = (variables: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(variables))))

describe("the composition builds its layers from configuration", () => {
  it.effect("unconfigured, the webhook settings are the port's defaults", () =>
    Effect.gen(function* () {
      const settings = yield* WebhookSettings
      assert.deepStrictEqual(settings, WebhookSettings.defaultValue())
    }).pipe(Effect.provide(Layers.webhookSettings), configured({})),
  )

  it.effect(
    "RUN_INDEX_DESTROY_SCAN_LIMIT turns the destroy scan on, the rest left at the port's defaults",
    () =>
      Effect.gen(function* () {
        const settings = yield* WebhookSettings
        assert.deepStrictEqual(settings, { ...WebhookSettings.defaultValue(), destroyScanLimit: 200 })
      }).pipe(Effect.provide(Layers.webhookSettings), configured({ RUN_INDEX_DESTROY_SCAN_LIMIT: "200" })),
  )

  it.effect("a negative RUN_INDEX_DESTROY_SCAN_LIMIT is a configuration error naming the variable", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Layer.build(Layers.webhookSettings).pipe(
          Effect.scoped,
          configured({ RUN_INDEX_DESTROY_SCAN_LIMIT: "-1" }),
        ),
      )
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        assert.isTrue(ConfigError.isConfigError(error))
        assert.include(String(error), "RUN_INDEX_DESTROY_SCAN_LIMIT")
      }
    }),
  )

  it.effect("the environment carries what configuration says: the webhook settings and the retention", () =>
    Effect.acquireUseRelease(
      Effect.promise(() => mkdtemp(join(tmpdir(), "run-index-layers-"))),
      (directory) =>
        Effect.gen(function* () {
          assert.strictEqual((yield* WebhookSettings).destroyScanLimit, 50)
          assert.strictEqual((yield* Retention).days, 30)
        }).pipe(
          Effect.provide(Layers.environment),
          configured({
            RUN_INDEX_DATA_DIR: directory,
            RUN_INDEX_DESTROY_SCAN_LIMIT: "50",
            RUN_INDEX_RETENTION_DAYS: "30",
            RUN_INDEX_SPOOL_MAX_DELIVERIES: "0",
          }),
        ),
      (directory) => Effect.promise(() => rm(directory, { recursive: true, force: true })),
    ),
  )
})
