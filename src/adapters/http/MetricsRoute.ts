import { HttpServerResponse } from "@effect/platform"
import { Effect, Metric, MetricState } from "effect"

const labelsOf = (tags: ReadonlyArray<{ readonly key: string; readonly value: string }>) =>
  tags.length === 0
    ? ""
    : `{${tags.map((tag) => `${tag.key}="${tag.value.replace(/["\\\n]/g, "_")}"`).join(",")}}`

/** `GET /metrics`: counters and gauges in the Prometheus text format. */
export const metricsRoute = Effect.map(Metric.snapshot, (pairs) => {
  const lines: Array<string> = []
  const described = new Set<string>()
  for (const pair of pairs) {
    const { name, description, tags } = pair.metricKey
    const state = pair.metricState
    const type = MetricState.isCounterState(state)
      ? "counter"
      : MetricState.isGaugeState(state)
        ? "gauge"
        : undefined
    if (type === undefined) continue
    if (!described.has(name)) {
      described.add(name)
      if (description._tag === "Some") lines.push(`# HELP ${name} ${description.value}`)
      lines.push(`# TYPE ${name} ${type}`)
    }
    const value = MetricState.isCounterState(state)
      ? state.count
      : MetricState.isGaugeState(state)
        ? state.value
        : 0
    lines.push(`${name}${labelsOf(tags)} ${String(value)}`)
  }
  return HttpServerResponse.text(`${lines.join("\n")}\n`, { contentType: "text/plain; version=0.0.4" })
})
