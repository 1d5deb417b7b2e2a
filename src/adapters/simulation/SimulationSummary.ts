import { invariantNames } from "../../domain/SimulationInvariants.js"
import type { SimulationReport, Spread } from "../../domain/SimulationReport.js"

const number = (value: number, decimals = 0) =>
  value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals })

const seconds = (value: number | null) => (value === null ? "-" : `${number(value, 2)} s`)

const spread = (figures: Spread) =>
  `p50 ${seconds(figures.p50)}   p95 ${seconds(figures.p95)}   max ${seconds(figures.max)}`

const counts = (values: Readonly<Record<string, number>>) =>
  Object.entries(values)
    .sort(([left], [right]) => left.localeCompare(right))
    .map(([key, count]) => `${key} ${number(count)}`)
    .join(", ") || "none"

/** Why an invariant does not fail this run although it was violated. */
export const exemption = (report: SimulationReport, name: string): string | undefined =>
  name === "swappedRuns" && report.violations.swappedRuns > report.failing.swappedRuns
    ? report.settings.strategy === "check-then-put"
      ? "the baseline never asks for run details or a token"
      : "counted, not required: only attempts whose run id GitHub returned, or that required a token, are entitled to their own run"
    : undefined

/** Whether the run was the service's algorithm, or the baseline kept for comparison. */
export const strategyLabel = (report: SimulationReport) =>
  report.settings.strategy === "claim" ? "claim" : "check-then-put (BASELINE, for comparison only)"

/** The human summary `run-index simulate` prints: the figures, then one line per invariant. */
export const renderSummary = (report: SimulationReport): string => {
  const { settings, dispatches, github, store, deliveries, reconcile } = report
  const lines = [
    `simulation: ${number(settings.requests)} requests, concurrency ${settings.concurrency}, seed ${settings.seed}, mode ${settings.mode}, token ${settings.token ? "on" : "off"}, faults ${settings.faults}, strategy ${strategyLabel(report)}, store ${settings.store}`,
    `simulated ${number(report.simulatedSeconds)} s in ${number(report.wallClock.seconds, 1)} s of wall time (peak RSS ${number(report.wallClock.peakRssMegabytes)} MB)`,
    "",
    `dispatches          ${number(dispatches.total)} (second attempts ${number(dispatches.secondAttempts)}, re-runs ${number(dispatches.reruns)}, noise runs ${number(dispatches.noiseRuns)})`,
    `  resolved ${number(dispatches.resolved)}, unresolved ${number(dispatches.unresolved)}, refused ${number(dispatches.refused)}, errors: ${counts(dispatches.errors)}`,
    `time to resolve     ${spread(report.resolveSeconds)} (simulated)`,
    `GitHub calls        ${number(github.perDispatch, 2)} per dispatch (${number(github.calls)}: ${counts(github.byOperation)}; ${number(github.failed)} failed)`,
    `store operations    ${number(store.perDispatch, 2)} per dispatch, ${number(store.perDelivery, 2)} per delivery (${number(store.operations)} in all, ${number(store.faultsInjected)} faults injected)`,
    `deliveries          ${number(deliveries.events)} events, ${number(deliveries.ids)} delivery ids, ${number(deliveries.posts)} posts`,
    `  outcomes: ${counts(deliveries.byOutcome)}`,
    `  redelivered ${number(deliveries.redelivered)}, replayed ${number(deliveries.replayed)}, still parked ${number(deliveries.stillParked)}`,
    `reconcile           checked ${number(reconcile.checked)}, patched ${number(reconcile.patched)}, unchanged ${number(reconcile.unchanged)}, failed: ${counts(reconcile.failed)}`,
    "",
    `${"invariant".padEnd(22)}${"violations".padStart(10)}  ${"failing".padStart(7)}`,
    ...invariantNames.map((name) => {
      const note = exemption(report, name)
      return `${name.padEnd(22)}${number(report.violations[name]).padStart(10)}  ${number(report.failing[name]).padStart(7)}${note === undefined ? "" : `  (${note})`}`
    }),
    "",
    report.passed ? "PASSED: every required invariant holds" : "FAILED: a required invariant is violated",
  ]
  for (const name of invariantNames) {
    for (const example of report.examples[name]) lines.push(`  ${name}: ${example}`)
  }
  return lines.join("\n")
}
