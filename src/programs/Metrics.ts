import { Effect, Metric, MetricBoundaries } from "effect"
import { StoreFailureReason } from "../ports/StoreError.js"
import { GatewayFailureReason } from "../ports/WorkflowRunsGateway.js"

/**
 * Every counter and histogram the service exposes on `GET /metrics`, in one place. Each labelled
 * counter is tagged once here, so counting on the webhook path costs no key construction.
 */
const tagged = <const Value extends string, Type, In, Out>(
  metric: Metric.Metric<Type, In, Out>,
  label: string,
  values: ReadonlyArray<Value>,
): Readonly<Record<Value, Metric.Metric<Type, In, Out>>> =>
  Object.fromEntries(values.map((value) => [value, Metric.tagged(metric, label, value)])) as Record<
    Value,
    Metric.Metric<Type, In, Out>
  >

/** `failed`: the store could not even record or park the delivery; GitHub was answered 503. */
export type DeliveryOutcome =
  | "processed"
  | "duplicate"
  | "pong"
  | "ignored"
  | "malformed"
  | "parked"
  | "dead_letter"
  | "failed"

const deliveryOutcomes = [
  "processed",
  "duplicate",
  "pong",
  "ignored",
  "malformed",
  "parked",
  "dead_letter",
  "failed",
] as const satisfies ReadonlyArray<DeliveryOutcome>

/** Webhook deliveries by how they ended. */
export const deliveries = tagged(
  Metric.counter("run_index_webhook_deliveries_total", {
    description: "webhook deliveries by outcome",
    incremental: true,
  }),
  "outcome",
  deliveryOutcomes,
)

/** Parked deliveries replayed, by whether the replay applied them or left them parked. */
export const replays = tagged(
  Metric.counter("run_index_webhook_replays_total", {
    description: "parked deliveries replayed, by result",
    incremental: true,
  }),
  "result",
  ["applied", "still_parked"],
)

/** Deliveries still parked after the last replay pass (of this instance; any instance may replay). */
export const parkedDeliveries = Metric.gauge("run_index_webhook_parked_deliveries", {
  description: "deliveries still parked after the last replay pass",
})

/** Deliveries in this instance's local spool after its last move to the store (they wait for the store to return). */
export const spooledDeliveries = Metric.gauge("run_index_webhook_spooled_deliveries", {
  description: "deliveries kept in this instance's local spool because the store could not park them",
})

/** Failed deliveries asked of GitHub again (`deliveries recover`), by result. */
export const redeliveries = tagged(
  Metric.counter("run_index_webhook_redeliveries_total", {
    description: "failed webhook deliveries GitHub was asked to redeliver, by result",
    incremental: true,
  }),
  "result",
  ["requested", "failed"],
)

/** Where a `workflow_run` delivery's request was found. */
export const correlations = tagged(
  Metric.counter("run_index_webhook_correlations_total", {
    description: "workflow_run deliveries by how their request was found",
    incremental: true,
  }),
  "source",
  ["index", "lane", "scan", "branch", "title", "name", "none"],
)

/** Run index reads on the webhook path. */
export const indexLookups = tagged(
  Metric.counter("run_index_index_lookups_total", {
    description: "run index lookups by result",
    incremental: true,
  }),
  "result",
  ["hit", "miss", "invalid"],
)

/** Claims of a run for a request, by dispatch and by self-healing correlation. */
export const claims = tagged(
  Metric.counter("run_index_claims_total", {
    description: "run index claims by result",
    incremental: true,
  }),
  "result",
  ["won", "already_yours", "lost", "blocked"],
)

/** Failed store calls made by the programs, each try counted (a retried call that failed twice counts 2). */
export const storeErrors = tagged(
  Metric.counter("run_index_store_errors_total", {
    description: "failed store calls by reason",
    incremental: true,
  }),
  "reason",
  StoreFailureReason.literals,
)

/** Failed GitHub calls, each try counted. */
export const gatewayErrors = tagged(
  Metric.counter("run_index_github_errors_total", {
    description: "failed GitHub calls by reason",
    incremental: true,
  }),
  "reason",
  GatewayFailureReason.literals,
)

/** Time from a verified delivery to its answer, in seconds (1 ms to about 16 s), by outcome. */
export const processingSeconds = tagged(
  Metric.histogram(
    "run_index_webhook_processing_seconds",
    MetricBoundaries.exponential({ start: 0.001, factor: 2, count: 15 }),
    "webhook delivery processing time in seconds",
  ),
  "outcome",
  deliveryOutcomes,
)

const valuesOf = <Type, In, Out>(metrics: Readonly<Record<string, Metric.Metric<Type, In, Out>>>) =>
  Object.values(metrics).map((metric) => Metric.value(metric))

/**
 * Registers every documented series at its zero value, so that a dashboard sees each one from the
 * first scrape rather than from its first event (reading a metric's value registers it).
 */
export const registerAll: Effect.Effect<void> = Effect.all(
  [
    ...valuesOf(deliveries),
    ...valuesOf(replays),
    Metric.value(parkedDeliveries),
    Metric.value(spooledDeliveries),
    ...valuesOf(redeliveries),
    ...valuesOf(correlations),
    ...valuesOf(indexLookups),
    ...valuesOf(claims),
    ...valuesOf(storeErrors),
    ...valuesOf(gatewayErrors),
    ...valuesOf(processingSeconds),
  ],
  { discard: true },
)
