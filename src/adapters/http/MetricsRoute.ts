import { HttpServerResponse } from "@effect/platform"
import { Effect, Metric, type MetricPair, MetricState } from "effect"

type Labels = ReadonlyArray<{ readonly key: string; readonly value: string }>

const labelsOf = (tags: Labels) =>
  tags.length === 0
    ? ""
    : `{${tags.map((tag) => `${tag.key}="${tag.value.replace(/["\\\n]/g, "_")}"`).join(",")}}`

/** The sample lines of one metric: a counter or gauge is one line; a histogram its buckets, sum and count. */
const samples = (
  name: string,
  tags: Labels,
  state: MetricState.MetricState.Untyped,
): ReadonlyArray<string> => {
  if (MetricState.isCounterState(state)) return [`${name}${labelsOf(tags)} ${String(state.count)}`]
  if (MetricState.isGaugeState(state)) return [`${name}${labelsOf(tags)} ${String(state.value)}`]
  if (MetricState.isHistogramState(state)) {
    return [
      ...state.buckets.map(
        ([boundary, cumulative]) =>
          `${name}_bucket${labelsOf([...tags, { key: "le", value: String(boundary) }])} ${cumulative}`,
      ),
      `${name}_bucket${labelsOf([...tags, { key: "le", value: "+Inf" }])} ${state.count}`,
      `${name}_sum${labelsOf(tags)} ${state.sum}`,
      `${name}_count${labelsOf(tags)} ${state.count}`,
    ]
  }
  return []
}

const typeOf = (state: MetricState.MetricState.Untyped) =>
  MetricState.isCounterState(state)
    ? "counter"
    : MetricState.isGaugeState(state)
      ? "gauge"
      : MetricState.isHistogramState(state)
        ? "histogram"
        : undefined

/**
 * The Prometheus text exposition format, by hand: about thirty lines, where the maintained
 * exporters target OpenTelemetry rather than plain `/metrics` text.
 */
export const prometheusText = (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>): string => {
  const lines: Array<string> = []
  const described = new Set<string>()
  for (const pair of pairs) {
    const { name, description, tags } = pair.metricKey
    const type = typeOf(pair.metricState)
    if (type === undefined) continue
    if (!described.has(name)) {
      described.add(name)
      if (description._tag === "Some") lines.push(`# HELP ${name} ${description.value}`)
      lines.push(`# TYPE ${name} ${type}`)
    }
    lines.push(...samples(name, tags, pair.metricState))
  }
  return `${lines.join("\n")}\n`
}

/** `GET /metrics`: counters, gauges and histograms in the Prometheus text format. */
export const metricsRoute = Effect.map(Metric.snapshot, (pairs) =>
  HttpServerResponse.text(prometheusText(pairs), { contentType: "text/plain; version=0.0.4" }),
)
