/**
 * The `--report FILE.html` of `run-index simulate`: one self-contained page (no script, no
 * stylesheet or font from the network) with the run's charts as inline SVG and its invariant table.
 * Bar charts are a few rectangles each, so they are drawn here rather than with a charting library,
 * which would have to be inlined whole into every report.
 */
import { invariantNames } from "../domain/SimulationInvariants.js"
import type { SimulationReport } from "../domain/SimulationReport.js"
import { ablationLabel, strategyLabel } from "./SimulationSummary.js"

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`)

const number = (value: number, decimals = 0) =>
  value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals })

interface Bar {
  readonly label: string
  readonly value: number
}

interface Marker {
  readonly label: string
  /** Position along the bars, in bar widths from the left edge. */
  readonly at: number
}

/** Vertical bars with a value above each, axis labels, and optional vertical markers (p50, p95). */
const barChart = (options: {
  readonly title: string
  readonly bars: ReadonlyArray<Bar>
  readonly xLabel: string
  readonly yLabel: string
  readonly markers?: ReadonlyArray<Marker>
}) => {
  const width = 720
  const height = 300
  const left = 60
  const bottom = 60
  const top = 40
  const plotWidth = width - left - 20
  const plotHeight = height - top - bottom
  const max = Math.max(1, ...options.bars.map((bar) => bar.value))
  const step = plotWidth / Math.max(1, options.bars.length)
  const labelEvery = Math.max(1, Math.ceil(options.bars.length / 16))
  const bars = options.bars
    .map((bar, index) => {
      const barHeight = (bar.value / max) * plotHeight
      const x = left + index * step
      const y = top + plotHeight - barHeight
      const value =
        bar.value > 0 && options.bars.length <= 30
          ? `<text x="${x + step / 2}" y="${y - 4}" class="value">${number(bar.value)}</text>`
          : ""
      const label =
        index % labelEvery === 0
          ? `<text x="${x + step / 2}" y="${top + plotHeight + 16}" class="tick">${escapeHtml(bar.label)}</text>`
          : ""
      return `<rect x="${x + 1}" y="${y}" width="${Math.max(1, step - 2)}" height="${barHeight}" class="bar"><title>${escapeHtml(bar.label)}: ${number(bar.value)}</title></rect>${value}${label}`
    })
    .join("")
  const markers = (options.markers ?? [])
    .map((marker) => {
      const x = left + marker.at * step
      return `<line x1="${x}" y1="${top}" x2="${x}" y2="${top + plotHeight}" class="marker"/><text x="${x + 4}" y="${top + 12}" class="marker-label">${escapeHtml(marker.label)}</text>`
    })
    .join("")
  return `<figure><figcaption>${escapeHtml(options.title)}</figcaption><svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(options.title)}">
<line x1="${left}" y1="${top + plotHeight}" x2="${width - 20}" y2="${top + plotHeight}" class="axis"/>
<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}" class="axis"/>
<text x="${left - 8}" y="${top + 4}" class="tick end">${number(max)}</text>
<text x="${left - 8}" y="${top + plotHeight}" class="tick end">0</text>
${bars}${markers}
<text x="${left + plotWidth / 2}" y="${height - 14}" class="axis-label">${escapeHtml(options.xLabel)}</text>
<text x="16" y="${top + plotHeight / 2}" class="axis-label" transform="rotate(-90 16 ${top + plotHeight / 2})">${escapeHtml(options.yLabel)}</text>
</svg></figure>`
}

const resolutionChart = (report: SimulationReport) => {
  const { width, counts } = report.resolveHistogram
  const decimals = width < 1 ? 2 : 0
  const markers = (["p50", "p95"] as const).flatMap((name) => {
    const value = report.resolveSeconds[name]
    return value === null ? [] : [{ label: `${name} ${number(value, 2)} s`, at: value / width }]
  })
  return barChart({
    title: "Time from dispatch to a claimed run id (simulated seconds)",
    bars: counts.map((count, index) => ({ label: number(index * width, decimals), value: count })),
    xLabel: `seconds (buckets of ${number(width, decimals)} s)`,
    yLabel: "dispatches",
    markers,
  })
}

const callsChart = (report: SimulationReport) => {
  const entries = Object.entries(report.github.callsPerDispatch)
    .map(([calls, count]) => [Number(calls), count] as const)
    .sort(([left], [right]) => left - right)
  const most = entries.reduce((high, [calls]) => Math.max(high, calls), 0)
  const byCalls = new Map(entries)
  return barChart({
    title: `GitHub calls per dispatch (mean ${number(report.github.perDispatch, 2)})`,
    bars: Array.from({ length: most + 1 }, (_, calls) => ({
      label: String(calls),
      value: byCalls.get(calls) ?? 0,
    })),
    xLabel: "GitHub calls made to learn the run",
    yLabel: "dispatches",
  })
}

const outcomesChart = (report: SimulationReport) =>
  barChart({
    title: "Deliveries by outcome (every post, duplicates included)",
    bars: Object.entries(report.deliveries.byOutcome)
      .sort(([left], [right]) => left.localeCompare(right))
      .map(([label, value]) => ({ label, value })),
    xLabel: "outcome",
    yLabel: "posts",
  })

const invariantTable = (report: SimulationReport) => {
  const rows = invariantNames
    .map((name) => {
      const violations = report.violations[name]
      const state = violations > 0 ? "fail" : "ok"
      const note = state === "ok" ? "holds" : "violated"
      const examples = report.examples[name].map((example) => `<li>${escapeHtml(example)}</li>`).join("")
      return `<tr class="${state}"><td><code>${name}</code></td><td class="count">${number(violations)}</td><td>${escapeHtml(note)}${examples === "" ? "" : `<ul>${examples}</ul>`}</td></tr>`
    })
    .join("\n")
  return `<table class="invariants"><thead><tr><th>invariant (judged against GitHub's record)</th><th>violations</th><th>notes</th></tr></thead><tbody>
${rows}
</tbody></table>`
}

const figuresTable = (report: SimulationReport) => {
  const { dispatches, github, store, deliveries, reconcile } = report
  const rows: ReadonlyArray<readonly [string, string]> = [
    [
      "dispatches",
      `${number(dispatches.total)} (resolved ${number(dispatches.resolved)}, unresolved ${number(dispatches.unresolved)}, refused ${number(dispatches.refused)})`,
    ],
    [
      "time to resolve",
      `p50 ${number(report.resolveSeconds.p50 ?? 0, 2)} s, p95 ${number(report.resolveSeconds.p95 ?? 0, 2)} s, max ${number(report.resolveSeconds.max ?? 0, 2)} s`,
    ],
    ["GitHub calls per dispatch", number(github.perDispatch, 2)],
    [
      "store operations",
      `${number(store.perDispatch, 2)} per dispatch, ${number(store.perDelivery, 2)} per delivery`,
    ],
    [
      "deliveries",
      `${number(deliveries.events)} events, ${number(deliveries.posts)} posts; redelivered ${number(deliveries.redelivered)}, replayed ${number(deliveries.replayed)}, still parked ${number(deliveries.stillParked)}`,
    ],
    ["reconcile", `checked ${number(reconcile.checked)}, patched ${number(reconcile.patched)}`],
    ["simulated time", `${number(report.simulatedSeconds)} s`],
    [
      "wall time, peak RSS",
      `${number(report.wallClock.seconds, 1)} s, ${number(report.wallClock.peakRssMegabytes)} MB`,
    ],
  ]
  return `<table class="figures"><tbody>${rows
    .map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join("")}</tbody></table>`
}

/** The whole page. */
export const renderHtml = (report: SimulationReport): string => {
  const { settings } = report
  const ablation = ablationLabel(report)
  const verdict = `${
    report.passed
      ? `<p class="verdict ok">PASSED — every invariant holds</p>`
      : `<p class="verdict fail">FAILED — an invariant is violated</p>`
  }${ablation === undefined ? "" : `<p class="settings">This run is an ablation: ${escapeHtml(ablation)}.</p>`}`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>run-index simulation: ${escapeHtml(settings.strategy)}, seed ${settings.seed}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; max-width: 860px; margin: 2em auto; padding: 0 1em; color: #1d2330; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; }
.settings { color: #4a5263; }
.verdict { font-weight: 600; padding: .6em 1em; border-radius: 6px; }
.verdict.ok { background: #e3f5e6; color: #175c25; } .verdict.fail { background: #fbe4e4; color: #8a1c1c; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid #dde1e8; vertical-align: top; }
td.count { text-align: right; font-variant-numeric: tabular-nums; }
tr.ok td:first-child { border-left: 4px solid #2e9b45; } tr.fail td:first-child { border-left: 4px solid #c53030; }
tr.fail { background: #fdf1f1; } ul { margin: .3em 0; padding-left: 1.2em; font-size: .9em; color: #4a5263; }
figure { margin: 1.5em 0; } figcaption { font-weight: 600; margin-bottom: .3em; }
.bar { fill: #4a78c2; } .axis { stroke: #8a93a5; } .marker { stroke: #c53030; stroke-dasharray: 4 3; }
.tick, .value, .axis-label, .marker-label { font-size: 11px; fill: #4a5263; text-anchor: middle; }
.tick.end { text-anchor: end; } .marker-label { fill: #c53030; text-anchor: start; } .axis-label { font-size: 12px; }
</style></head><body>
<h1>run-index simulation — ${escapeHtml(strategyLabel(report))}</h1>
<p class="settings">${number(settings.requests)} requests, concurrency ${settings.concurrency}, seed ${settings.seed}, GitHub mode <code>${escapeHtml(settings.mode)}</code>, token ${settings.token ? "on" : "off"}, faults ${escapeHtml(settings.faults)}, store ${escapeHtml(settings.store)}, instances ${settings.instances}, lanes ${settings.lanes ? "on" : "off"}, foreign dispatches ${number(settings.foreignDispatches, 2)}</p>
${verdict}
<h2>Invariants</h2>
${invariantTable(report)}
<h2>Figures</h2>
${figuresTable(report)}
<h2>Charts</h2>
${resolutionChart(report)}
${callsChart(report)}
${outcomesChart(report)}
</body></html>
`
}
