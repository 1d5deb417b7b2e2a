/**
 * The "simulation" section: `run-index simulate`'s engine at 1,000 and 100,000 requests on the
 * memory store (default settings: run details, token, light faults, claims), each run in a child
 * process of its own so that its peak RSS is measured alone. Cost per request is the simulation's
 * time divided by its requests; the ratio of the cost at 100,000 to the cost at 1,000 shows whether
 * the cost grows linearly (target ≤ 1.5). The small size runs three times (median); the large once.
 */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { median } from "./measure.js"
import { formatNumber, renderTable } from "./output.js"

const childFile = fileURLToPath(new URL("./simulationChild.ts", import.meta.url))

interface Run {
  readonly requests: number
  readonly wallSeconds: number
  readonly cpuSeconds: number
  readonly peakRssMegabytes: number
  readonly simulatedSeconds: number
  readonly passed: boolean
}

export interface SizeFigures {
  readonly requests: number
  readonly runs: number
  readonly wallSeconds: number
  readonly cpuSeconds: number
  readonly peakRssMegabytes: number
  readonly wallMillisPerRequest: number
  readonly cpuMillisPerRequest: number
  readonly simulatedSeconds: number
  readonly passed: boolean
}

export interface SimulationFigures {
  readonly small: SizeFigures
  readonly large: SizeFigures
  /** Wall time per request at the large size over the same at the small size. */
  readonly costRatio: number
  /** The same with CPU time, less sensitive to other processes on a shared machine. */
  readonly cpuCostRatio: number
  readonly target: number
  readonly meetsTarget: boolean
}

const runChild = (requests: number) =>
  new Promise<Run>((resolve, reject) => {
    execFile(
      process.execPath,
      [...process.execArgv, childFile, String(requests)],
      { maxBuffer: 16 * 1024 * 1024, timeout: 3 * 60 * 60_000 },
      (error, stdout, stderr) => {
        if (error !== null)
          return reject(new Error(`simulation of ${requests} failed: ${stderr || error.message}`))
        resolve(JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as Run)
      },
    )
  })

const summarise = (runs: ReadonlyArray<Run>): SizeFigures => {
  const requests = runs[0]!.requests
  const wallSeconds = median(runs.map((run) => run.wallSeconds))
  const cpuSeconds = median(runs.map((run) => run.cpuSeconds))
  return {
    requests,
    runs: runs.length,
    wallSeconds,
    cpuSeconds,
    peakRssMegabytes: median(runs.map((run) => run.peakRssMegabytes)),
    wallMillisPerRequest: (wallSeconds * 1000) / requests,
    cpuMillisPerRequest: (cpuSeconds * 1000) / requests,
    simulatedSeconds: runs[0]!.simulatedSeconds,
    passed: runs.every((run) => run.passed),
  }
}

export const simulation = async (options: {
  readonly small: number
  readonly large: number
  readonly smallRuns: number
  readonly progress: (line: string) => void
}): Promise<SimulationFigures> => {
  const smallRuns: Array<Run> = []
  // Small runs on both sides of the large one, so drift of the machine falls on both sizes.
  const half = Math.ceil(options.smallRuns / 2)
  for (let index = 0; index < half; index++) {
    options.progress(`${formatNumber(options.small)} requests, run ${index + 1}`)
    smallRuns.push(await runChild(options.small))
  }
  options.progress(`${formatNumber(options.large)} requests (minutes)`)
  const large = summarise([await runChild(options.large)])
  for (let index = half; index < options.smallRuns; index++) {
    options.progress(`${formatNumber(options.small)} requests, run ${index + 1}`)
    smallRuns.push(await runChild(options.small))
  }
  const small = summarise(smallRuns)
  const costRatio = large.wallMillisPerRequest / small.wallMillisPerRequest
  const cpuCostRatio = large.cpuMillisPerRequest / small.cpuMillisPerRequest
  const target = 1.5
  return { small, large, costRatio, cpuCostRatio, target, meetsTarget: costRatio <= target }
}

export const renderSimulation = (figures: SimulationFigures): string =>
  [
    "simulation: run-index simulate on the memory store (run details, token, light faults, claims), one child process per run",
    renderTable(
      [
        "requests",
        "runs",
        "wall s",
        "CPU s",
        "peak RSS MB",
        "wall ms/request",
        "CPU ms/request",
        "simulated s",
        "invariants",
      ],
      [figures.small, figures.large].map((size) => [
        formatNumber(size.requests),
        String(size.runs),
        formatNumber(size.wallSeconds, 1),
        formatNumber(size.cpuSeconds, 1),
        formatNumber(size.peakRssMegabytes),
        formatNumber(size.wallMillisPerRequest, 2),
        formatNumber(size.cpuMillisPerRequest, 2),
        formatNumber(size.simulatedSeconds),
        size.passed ? "hold" : "VIOLATED",
      ]),
    ),
    `  cost per request at ${formatNumber(figures.large.requests)} / at ${formatNumber(figures.small.requests)}: ${formatNumber(figures.costRatio, 2)} wall, ${formatNumber(figures.cpuCostRatio, 2)} CPU (target ≤ ${figures.target}: ${figures.meetsTarget ? "met" : "NOT MET"})`,
  ].join("\n")
