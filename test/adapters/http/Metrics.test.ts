import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Metric, Redacted, RuntimeFlags, RuntimeFlagsPatch } from "effect"
import { makeRouter } from "../../../src/adapters/http/HttpService.js"
import { StoreFailureReason } from "../../../src/ports/StoreError.js"
import { GatewayFailureReason } from "../../../src/ports/WorkflowRunsGateway.js"
import { type MetricFamily, sampleOf, scrape, scrapePath } from "../../support/prometheus.js"
import { world } from "../../support/world.js"

const service = HttpServer.serve(
  makeRouter({
    apiToken: Redacted.make("token"),
    webhook: { secrets: [Redacted.make("secret")], maxBytes: 1024 },
  }),
).pipe(Layer.provideMerge(NodeHttpServer.layerTest), Layer.provideMerge(world()))

/** Every documented counter series, by metric name, label and label values (README, HTTP API). */
const documented: ReadonlyArray<readonly [string, string, ReadonlyArray<string>]> = [
  [
    "run_index_webhook_deliveries_total",
    "outcome",
    ["processed", "duplicate", "pong", "ignored", "malformed", "parked", "failed"],
  ],
  [
    "run_index_webhook_correlations_total",
    "source",
    ["index", "lane", "scan", "branch", "title", "name", "none"],
  ],
  ["run_index_index_lookups_total", "result", ["hit", "miss", "invalid"]],
  ["run_index_claims_total", "result", ["won", "already_yours", "lost", "blocked"]],
  ["run_index_store_errors_total", "reason", StoreFailureReason.literals],
  ["run_index_github_errors_total", "reason", GatewayFailureReason.literals],
  ["run_index_webhook_replays_total", "result", ["applied", "still_parked"]],
]

const typeOf = (families: ReadonlyMap<string, MetricFamily>, name: string) => families.get(name)?.type

describe("GET /metrics", () => {
  // At zero in a fresh process: test/adapters/cli/CliServeLifecycle.test.ts. Here the registry is the
  // test worker's, shared with the files before this one, so only presence can be asserted.
  it.effect("every documented series is present from the first scrape", () =>
    Effect.gen(function* () {
      const { families, text } = yield* scrape
      for (const [name, label, values] of documented) {
        assert.strictEqual(typeOf(families, name), "COUNTER", name)
        for (const value of values)
          assert.isAtLeast(sampleOf(families, name, { [label]: value }) ?? -1, 0, `${name} ${value}`)
      }
      assert.strictEqual(typeOf(families, "run_index_webhook_parked_deliveries"), "GAUGE")
      assert.isAtLeast(sampleOf(families, "run_index_webhook_parked_deliveries") ?? -1, 0)
      assert.strictEqual(typeOf(families, "run_index_webhook_processing_seconds"), "HISTOGRAM")
      assert.match(text, /^run_index_webhook_processing_seconds_count\{outcome="parked"\} \d+$/m)
    }).pipe(Effect.provide(service)),
  )

  it.effect("Effect's runtime metrics only when asked for", () =>
    Effect.gen(function* () {
      // A fiber run with runtime metrics on registers effect_fiber_* series.
      yield* Effect.void.pipe(
        Effect.fork,
        Effect.withRuntimeFlagsPatch(RuntimeFlagsPatch.enable(RuntimeFlags.RuntimeMetrics)),
      )
      const plain = yield* scrape
      const asked = yield* scrapePath("/metrics?runtime=true")
      assert.deepStrictEqual(
        {
          plain: [...plain.families.keys()].filter((name) => !name.startsWith("run_index_")),
          asked: [...asked.families.keys()].some((name) => name.startsWith("effect_fiber_")),
        },
        { plain: [], asked: true },
      )
    }).pipe(Effect.provide(service)),
  )

  it.effect("label values are escaped, not mangled", () =>
    Effect.gen(function* () {
      const awkward = 'a "quoted" back\\slash\nand a new line'
      yield* Metric.increment(
        Metric.tagged(Metric.counter("run_index_test_escaping_total"), "detail", awkward),
      )
      const { families } = yield* scrape
      assert.deepStrictEqual(families.get("run_index_test_escaping_total")?.metrics[0]?.labels, {
        detail: awkward,
      })
    }).pipe(Effect.provide(service)),
  )
})
