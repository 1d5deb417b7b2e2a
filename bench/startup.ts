/**
 * Start-up a person feels: `run-index --help` and `run-index get` on the directory store, each as a
 * ratio to a bare `node -e 0` measured in the same rounds (interleaved, so load on the machine hits
 * all three alike), and `npm start` on a built tree until the first `/healthz` answers. Runs the
 * built programs (dist/bin.js, dist/main.js): build first (`npm run build`, done on install).
 */
import { spawn, spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { setTimeout as delay } from "node:timers/promises"
import { freePort } from "./freePort.js"
import { median } from "./measure.js"
import { formatNumber, renderTable } from "./output.js"

const root = join(import.meta.dirname, "..")
const bin = join(root, "dist", "bin.js")

export interface StartupFigures {
  readonly rounds: number
  readonly bareNodeMillis: number
  readonly helpMillis: number
  readonly getMillis: number
  readonly helpRatio: number
  readonly getRatio: number
  /** `npm start` on a built tree to the first 200 from /healthz, median of `startRounds`. */
  readonly npmStartToHealthyMillis: number
  readonly startRounds: number
}

const timed = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, cwd: string): number => {
  const started = performance.now()
  const result = spawnSync(process.execPath, args, { env, cwd, stdio: "ignore" })
  const elapsed = performance.now() - started
  if (result.status !== 0 && result.status !== 3) throw new Error(`${args.join(" ")} exited ${result.status}`)
  return elapsed
}

const npmStartToHealthy = async (env: NodeJS.ProcessEnv): Promise<number> => {
  const port = await freePort()
  const started = performance.now()
  const child = spawn("npm", ["start", "--silent"], {
    cwd: root,
    env: { ...env, PORT: String(port), HOST: "127.0.0.1", RUN_INDEX_REPLAY_INTERVAL: "off" },
    stdio: "ignore",
    detached: true,
  })
  try {
    for (;;) {
      const healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (response) => response.ok,
        () => false,
      )
      if (healthy) return performance.now() - started
      if (performance.now() - started > 120_000) throw new Error("npm start: no /healthz within 120 s")
      await delay(20)
    }
  } finally {
    if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM")
  }
}

export const startup = async (options: {
  readonly rounds: number
  readonly startRounds: number
  readonly progress: (line: string) => void
}): Promise<StartupFigures> => {
  if (!existsSync(bin)) throw new Error("dist/bin.js is missing: run npm run build first")
  const cwd = await mkdtemp(join(tmpdir(), "run-index-startup-"))
  const env = { ...process.env, RUN_INDEX_DATA_DIR: join(cwd, "data"), TFPILOT_REQUESTS_BUCKET: "" }
  try {
    const bare: Array<number> = []
    const help: Array<number> = []
    const get: Array<number> = []
    timed([bin, "put", "plan", "1", "req_dev_ec2_abc"], env, cwd)
    for (let round = 0; round < options.rounds; round++) {
      bare.push(timed(["-e", "0"], env, cwd))
      help.push(timed([bin, "--help"], env, cwd))
      get.push(timed([bin, "get", "plan", "1"], env, cwd))
    }
    options.progress(`CLI: ${options.rounds} rounds of node -e 0, --help, get`)
    const starts: Array<number> = []
    for (let round = 0; round < options.startRounds; round++) starts.push(await npmStartToHealthy(env))
    options.progress(`npm start: ${options.startRounds} starts to the first /healthz`)
    const bareNodeMillis = median(bare)
    return {
      rounds: options.rounds,
      bareNodeMillis,
      helpMillis: median(help),
      getMillis: median(get),
      helpRatio: median(help) / bareNodeMillis,
      getRatio: median(get) / bareNodeMillis,
      npmStartToHealthyMillis: median(starts),
      startRounds: options.startRounds,
    }
  } finally {
    await rm(cwd, { recursive: true, force: true })
  }
}

export const renderStartup = (figures: StartupFigures): string =>
  [
    `startup: medians of ${figures.rounds} interleaved rounds; the CLI as built (dist/bin.js, bundled), target ≤ 5× bare node`,
    renderTable(
      ["command", "ms", "× node -e 0"],
      [
        ["node -e 0", formatNumber(figures.bareNodeMillis), "1.00"],
        ["run-index --help", formatNumber(figures.helpMillis), formatNumber(figures.helpRatio, 2)],
        ["run-index get (directory)", formatNumber(figures.getMillis), formatNumber(figures.getRatio, 2)],
        [
          `npm start → first /healthz (median of ${figures.startRounds})`,
          formatNumber(figures.npmStartToHealthyMillis),
          formatNumber(figures.npmStartToHealthyMillis / figures.bareNodeMillis, 2),
        ],
      ],
    ),
  ].join("\n")
