import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { accessSync, constants } from "node:fs"
import { createServer } from "node:net"
import { delimiter, join } from "node:path"
import type { TestProject } from "vitest/node"

declare module "vitest" {
  export interface ProvidedContext {
    /** The URL of the moto server started for this test run, e.g. `http://127.0.0.1:40123`. */
    motoEndpoint: string
  }
}

const interpreter = "python3"
const host = "127.0.0.1"
const startupLimitMillis = 20_000
const pollIntervalMillis = 100
const stopLimitMillis = 5_000
const installHint = `Install it for that interpreter with: ${interpreter} -m pip install 'moto[server]'`

/** The file `spawn` will run for `python3`, as the shell would find it. */
const interpreterOnPath = (): string | undefined =>
  (process.env.PATH ?? "")
    .split(delimiter)
    .filter((directory) => directory.length > 0)
    .map((directory) => join(directory, interpreter))
    .find((candidate) => {
      try {
        accessSync(candidate, constants.X_OK)
        return true
      } catch {
        return false
      }
    })

/** Fails with a message naming the interpreter and the fix unless `python3 -m moto.server` can run. */
const checkMotoInstalled = (): void => {
  const found = interpreterOnPath()
  if (found === undefined) {
    throw new Error(
      `The S3 integration tests need moto, run by ${interpreter}, but there is no ${interpreter} on PATH (${process.env.PATH ?? ""}). ` +
        `Install Python 3, then moto: ${interpreter} -m pip install 'moto[server]'`,
    )
  }
  const check = spawnSync(interpreter, ["-c", "import moto.server"], { encoding: "utf8" })
  if (check.error !== undefined || check.status !== 0) {
    const executable = spawnSync(interpreter, ["-c", "import sys; print(sys.executable)"], {
      encoding: "utf8",
    })
    const resolvedPath = executable.status === 0 ? executable.stdout.trim() : found
    const resolved = resolvedPath === found ? "" : ` (${resolvedPath})`
    const reason =
      check.error?.message || check.stderr.trim().split("\n").at(-1) || `exit status ${check.status}`
    throw new Error(
      `The S3 integration tests need moto, but ${found}${resolved} cannot import moto.server: ${reason}. ${installHint}`,
    )
  }
}

const freeLoopbackPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, host, () => {
      const address = server.address()
      server.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("could not find a free loopback port")),
      )
    })
  })

/** The last lines moto printed, kept for error messages; reading them also keeps its pipes from filling. */
const keepTail = (motoProcess: ChildProcess): (() => string) => {
  let tail = ""
  const append = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-4_000)
  }
  motoProcess.stdout?.on("data", append)
  motoProcess.stderr?.on("data", append)
  motoProcess.on("error", (error) => append(Buffer.from(`\n${error.message}\n`)))
  return () => tail
}

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

const waitUntilAnswering = async (url: string, motoProcess: ChildProcess, output: () => string) => {
  const deadline = Date.now() + startupLimitMillis
  while (Date.now() < deadline) {
    if (motoProcess.exitCode !== null || motoProcess.signalCode !== null) {
      throw new Error(
        `moto server exited (${motoProcess.exitCode ?? motoProcess.signalCode}) while starting:\n${output()}`,
      )
    }
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) })
      return
    } catch {
      await sleep(pollIntervalMillis)
    }
  }
  throw new Error(`moto server did not answer on ${url} within ${startupLimitMillis / 1000} s:\n${output()}`)
}

const stop = async (motoProcess: ChildProcess) => {
  if (motoProcess.exitCode !== null || motoProcess.signalCode !== null) return
  const exited = new Promise((resolve) => motoProcess.once("exit", resolve))
  motoProcess.kill("SIGTERM")
  const stopped = await Promise.race([exited.then(() => true), sleep(stopLimitMillis).then(() => false)])
  if (!stopped) motoProcess.kill("SIGKILL")
}

/** Starts moto server on a free loopback port for the whole test run and hands its URL to the tests. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  checkMotoInstalled()
  process.env.AWS_ACCESS_KEY_ID ??= "test"
  process.env.AWS_SECRET_ACCESS_KEY ??= "test"
  process.env.AWS_REGION ??= "us-east-1"

  const port = await freeLoopbackPort()
  const url = `http://${host}:${port}`
  const motoProcess = spawn(interpreter, ["-m", "moto.server", "-H", host, "-p", String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
  })
  const output = keepTail(motoProcess)
  try {
    await waitUntilAnswering(url, motoProcess, output)
  } catch (error) {
    await stop(motoProcess)
    throw error
  }
  project.provide("motoEndpoint", url)
  return () => stop(motoProcess)
}
