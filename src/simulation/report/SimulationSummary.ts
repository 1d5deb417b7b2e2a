import { invariantNames } from "../domain/SimulationInvariants.js"
import type { SimulationReport, Spread } from "../domain/SimulationReport.js"

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

/** Whether the run was the service's algorithm, or the baseline kept for comparison. */
export const strategyLabel = (report: SimulationReport) =>
  report.settings.strategy === "claim" ? "claim" : "check-then-put (BASELINE, for comparison only)"

/** What the run left out on purpose to show what it buys: lanes, or the baseline's claims; none for the service's algorithm. */
export const ablationLabel = (report: SimulationReport): string | undefined => {
  const { settings } = report
  const parts = [
    ...(settings.strategy === "check-then-put" ? ["the check-then-put baseline"] : []),
    ...(settings.lanes ? [] : ["lanes off"]),
    ...(settings.foreignDispatches > 0
      ? [`foreign dispatches with our identity (${number(settings.foreignDispatches * 100)}% of bursts)`]
      : []),
  ]
  return parts.length === 0 ? undefined : parts.join(", ")
}

/** The human summary `run-index simulate` prints: the figures, then one line per invariant. */
export const renderSummary = (report: SimulationReport): string => {
  const { settings, dispatches, github, store, deliveries, reconcile } = report
  const ablation = ablationLabel(report)
  const lines = [
    `simulation: ${number(settings.requests)} requests, concurrency ${settings.concurrency}, seed ${settings.seed}, mode ${settings.mode}, token ${settings.token ? "on" : "off"}, faults ${settings.faults}, strategy ${strategyLabel(report)}, store ${settings.store}, instances ${settings.instances}, lanes ${settings.lanes ? "on" : "off"}, foreign dispatches ${number(settings.foreignDispatches, 2)}`,
    `simulated ${number(report.simulatedSeconds)} s in ${number(report.wallClock.seconds, 1)} s of wall time (peak RSS ${number(report.wallClock.peakRssMegabytes)} MB)`,
    "",
    `dispatches          ${number(dispatches.total)} (second attempts ${number(dispatches.secondAttempts)}, re-runs ${number(dispatches.reruns)}, noise runs ${number(dispatches.noiseRuns)}, foreign runs ${number(dispatches.foreignRuns)})`,
    `  resolved ${number(dispatches.resolved)}, unresolved ${number(dispatches.unresolved)}, refused ${number(dispatches.refused)}, errors: ${counts(dispatches.errors)}`,
    `time to resolve     ${spread(report.resolveSeconds)} (simulated)`,
    `GitHub calls        ${number(github.perDispatch, 2)} per dispatch (${number(github.calls)}: ${counts(github.byOperation)}; ${number(github.failed)} failed)`,
    `store operations    ${number(store.perDispatch, 2)} per dispatch, ${number(store.perDelivery, 2)} per delivery (${number(store.operations)} in all, ${number(store.faultsInjected)} faults injected)`,
    `  per delivery by outcome  ${Object.entries(store.perDeliveryByOutcome)
      .map(([outcome, perDelivery]) => `${outcome} ${number(perDelivery, 2)}`)
      .join(", ")}`,
    `deliveries          ${number(deliveries.events)} events, ${number(deliveries.ids)} delivery ids, ${number(deliveries.posts)} posts`,
    `  outcomes: ${counts(deliveries.byOutcome)}`,
    `  redelivered ${number(deliveries.redelivered)}, replayed ${number(deliveries.replayed)}, still parked ${number(deliveries.stillParked)}`,
    `reconcile           checked ${number(reconcile.checked)}, patched ${number(reconcile.patched)}, unchanged ${number(reconcile.unchanged)}, failed: ${counts(reconcile.failed)}`,
    ...(report.instances.length > 1
      ? report.instances.map(
          (instance, position) =>
            `instance ${String(position + 1).padEnd(10)}${number(instance.dispatches)} dispatches, ${number(instance.posts)} posts, ${number(instance.storeOperations)} store operations`,
        )
      : []),
    "",
    `${"invariant (judged against GitHub's record)".padEnd(44)}${"violations".padStart(10)}`,
    ...invariantNames.map((name) => `${name.padEnd(44)}${number(report.violations[name]).padStart(10)}`),
    "",
    report.passed ? "PASSED: every invariant holds" : "FAILED: an invariant is violated",
    ...(ablation === undefined ? [] : [`  (this run is an ablation: ${ablation})`]),
  ]
  for (const name of invariantNames) {
    for (const example of report.examples[name]) lines.push(`  ${name}: ${example}`)
  }
  return lines.join("\n")
}
