import { type ChildProcess, spawn } from "node:child_process"
import { join } from "node:path"
import { setTimeout as delay } from "node:timers/promises"

const bin = join(import.meta.dirname, "../../src/bin.ts")
const tsx = join(import.meta.dirname, "../../node_modules/tsx/dist/esm/index.mjs")

export interface SpawnedCli {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** The exit status once the process ended (a signal's death counts as 128 + its number). */
  readonly exited: Promise<number>
}

/** `run-index <args>` as a long-running process (`serve`), its output collected as it comes. */
export const spawnCli = (
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  cwd: string,
): SpawnedCli => {
  const child = spawn(process.execPath, ["--import", tsx, bin, ...args], {
    cwd,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
  })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<number>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? (signal === null ? 1 : 128 + 15))),
  )
  return { child, stdout: () => stdout, stderr: () => stderr, exited }
}

/** Resolves once `url` answers 200, failing with the process's output when it does not within 60 s. */
export const waitForHealthy = async (url: string, process: SpawnedCli) => {
  let ended = false
  void process.exited.then(() => {
    ended = true
  })
  for (let tries = 0; tries < 600; tries++) {
    if (ended) throw new Error(`the service ended:\n${process.stderr()}`)
    const healthy = await fetch(url).then(
      (response) => response.ok,
      () => false,
    )
    if (healthy) return
    await delay(100)
  }
  throw new Error(`no answer from ${url} within 60 s:\n${process.stderr()}`)
}

/**
 * `run-index serve` on `PORT=0`: the port the service bound, read from its "Listening on" log line,
 * once `/healthz` answers there.
 */
export const servePort = async (process: SpawnedCli): Promise<number> => {
  let ended = false
  void process.exited.then(() => {
    ended = true
  })
  for (let tries = 0; tries < 600; tries++) {
    if (ended) throw new Error(`the service ended:\n${process.stderr()}`)
    const port = /Listening on http:\/\/[^\s"]*:(\d+)/.exec(process.stderr())?.[1]
    if (port !== undefined) {
      await waitForHealthy(`http://127.0.0.1:${port}/healthz`, process)
      return Number(port)
    }
    await delay(100)
  }
  throw new Error(`no "Listening on" line within 60 s:\n${process.stderr()}`)
}
