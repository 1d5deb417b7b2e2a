import { spawn } from "node:child_process"
import { once } from "node:events"
import { readFileSync } from "node:fs"

export interface ChildServer {
  readonly url: string
  /** CPU time (user + system) the server process has used so far, in microseconds (Linux). */
  readonly cpuMicros: () => number
  readonly stop: () => Promise<void>
}

const startupLimitMillis = 20_000
const clockTicksPerSecond = 100

/** utime + stime of a process from /proc, so a server's CPU per request can be read from outside it. */
const processCpuMicros = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? []
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / clockTicksPerSecond
}

/**
 * Runs a server script in a process of its own (same Node, same loader flags — tsx's — so it can be
 * TypeScript), so serving requests does not share the benchmark's event loop. The script prints its
 * URL as its first stdout line and runs until stdin closes.
 */
export const startChildServer = async (file: string, args: ReadonlyArray<string>): Promise<ChildServer> => {
  const child = spawn(process.execPath, [...process.execArgv, file, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  })
  const exited = once(child, "exit")
  const url = await new Promise<string>((resolve, reject) => {
    let output = ""
    const timer = setTimeout(() => reject(new Error(`${file} did not start in time`)), startupLimitMillis)
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8")
      const newline = output.indexOf("\n")
      if (newline >= 0) {
        clearTimeout(timer)
        resolve(output.slice(0, newline).trim())
      }
    })
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${file} exited (${code ?? signal}) before it was ready`))
    })
  }).catch((error: unknown) => {
    child.kill("SIGKILL")
    throw error
  })
  return {
    url,
    cpuMicros: () => processCpuMicros(child.pid ?? 0),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.stdin.end()
      const stopped = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000)),
      ])
      if (!stopped) child.kill("SIGKILL")
    },
  }
}
