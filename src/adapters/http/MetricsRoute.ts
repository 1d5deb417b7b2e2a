// By module path: the package's index also loads its tracer and logger SDKs, which /metrics never uses.
import * as OtelMetrics from "@effect/opentelemetry/Metrics"
import * as Resource from "@effect/opentelemetry/Resource"
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import { Effect } from "effect"
import * as Metrics from "../../programs/Metrics.js"

/**
 * Effect's own metrics, read by `@effect/opentelemetry`'s producer and written in the Prometheus
 * text format by `@opentelemetry/exporter-prometheus`'s serializer (escaping, `# HELP`/`# TYPE`,
 * histogram buckets). No OpenTelemetry resource or scope series: `/metrics` shows this service's
 * metrics only.
 */
const serializer = new PrometheusSerializer("", false, undefined, true, true)

const resource = Resource.layer({ serviceName: "run-index" })

const ownPrefix = "run_index_"

/**
 * The exposition text of this service's metrics, every documented series present from the first
 * scrape; Effect's runtime metrics (`effect_*`) only when `runtime` is asked for.
 */
export const prometheusText = (options: { readonly runtime: boolean }) =>
  Effect.gen(function* () {
    yield* Metrics.registerAll
    const producer = yield* OtelMetrics.makeProducer
    const { resourceMetrics } = yield* Effect.promise(() => producer.collect())
    const scopeMetrics = options.runtime
      ? resourceMetrics.scopeMetrics
      : resourceMetrics.scopeMetrics.map((scope) => ({
          ...scope,
          metrics: scope.metrics.filter((metric) => metric.descriptor.name.startsWith(ownPrefix)),
        }))
    return serializer.serialize({ ...resourceMetrics, scopeMetrics })
  }).pipe(Effect.provide(resource))

/** `GET /metrics` (`?runtime=true` adds Effect's fiber metrics): the Prometheus text format. */
export const metricsRoute = Effect.gen(function* () {
  const query = yield* HttpServerRequest.ParsedSearchParams
  const text = yield* prometheusText({ runtime: query.runtime === "true" })
  return HttpServerResponse.text(text, { contentType: "text/plain; version=0.0.4" })
})
