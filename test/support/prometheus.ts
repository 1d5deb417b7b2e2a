import { HttpClient } from "@effect/platform"
import { Effect } from "effect"
import parsePrometheusText from "parse-prometheus-text-format"

export type MetricFamily = ReturnType<typeof parsePrometheusText>[number]

/** `GET /metrics` through the client: the text, and its families as a Prometheus text-format parser reads them. */
export const scrapePath = (path: string) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const text = yield* Effect.scoped(Effect.flatMap(client.get(path), (response) => response.text))
    return { text, families: new Map(parsePrometheusText(text).map((family) => [family.name, family])) }
  })

export const scrape = scrapePath("/metrics")

/** The sample of `family` whose labels are exactly `labels`; its value (or count for a histogram). */
export const sampleOf = (
  families: ReadonlyMap<string, MetricFamily>,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined => {
  const wanted = JSON.stringify(Object.entries(labels).sort())
  const sample = families
    .get(name)
    ?.metrics.find((each) => JSON.stringify(Object.entries(each.labels ?? {}).sort()) === wanted)
  if (sample === undefined) return undefined
  return Number(sample.value ?? sample.count)
}
