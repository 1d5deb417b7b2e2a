import { spawn } from "node:child_process"
import { createServer } from "node:net"
import { join } from "node:path"
import { setTimeout as delay } from "node:timers/promises"

const main = join(import.meta.dirname, "../../src/main.ts")
const tsx = join(import.meta.dirname, "../../node_modules/tsx/dist/esm/index.mjs")

export interface ServiceProcess {
  readonly port: number
  readonly baseUrl: string
  /** What the service printed so far (stdout and stderr), for failure messages. */
  readonly output: () => string
  readonly stop: () => Promise<void>
}

/** A loopback port nothing listens on right now. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()))
    })
  })

/** Starts the service (`npm start`'s entry point) as its own process on a free port; resolves once `/healthz` answers. */
export const startService = async (env: Record<string, string>, cwd: string): Promise<ServiceProcess> => {
  const port = await freePort()
  const child = spawn(process.execPath, ["--import", tsx, main], {
    cwd,
    env: {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      HOST: "127.0.0.1",
      PORT: String(port),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let output = ""
  child.stdout.on("data", (chunk) => (output += String(chunk)))
  child.stderr.on("data", (chunk) => (output += String(chunk)))
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM")
    await exited
  }
  const baseUrl = `http://127.0.0.1:${port}`
  for (let tries = 0; tries < 150; tries++) {
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}):\n${output}`)
    const healthy = await fetch(`${baseUrl}/healthz`).then(
      (response) => response.ok,
      () => false,
    )
    if (healthy) return { port, baseUrl, output: () => output, stop }
    await delay(200)
  }
  await stop()
  throw new Error(`the service did not answer /healthz within 30 s:\n${output}`)
}
