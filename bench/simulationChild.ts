/**
 * One simulation in a process of its own, so its peak RSS is its own: `simulationChild.ts <requests>`
 * prints one JSON line with the wall and CPU time of the simulation itself (module loading aside),
 * the process's peak RSS and whether every invariant held.
 */
import { runSimulation } from "../src/simulation/run/Simulation.js"

const requests = Number(process.argv[2])
const cpuBefore = process.cpuUsage()
const started = performance.now()
const report = await runSimulation({
  requests,
  concurrency: 32,
  seed: 1,
  mode: "run-details",
  token: true,
  faults: "light",
  strategy: "claim",
  store: "memory",
  instances: 1,
  lanes: true,
  foreignDispatches: 0,
})
const cpu = process.cpuUsage(cpuBefore)
process.stdout.write(
  `${JSON.stringify({
    requests,
    wallSeconds: (performance.now() - started) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMegabytes: Math.round(process.resourceUsage().maxRSS / 1024),
    simulatedSeconds: report.simulatedSeconds,
    passed: report.passed,
    violations: report.violations,
  })}\n`,
)
