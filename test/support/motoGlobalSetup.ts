import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { accessSync, constants } from "node:fs"
import { delimiter, join } from "node:path"
import type { TestProject } from "vitest/node"

declare module "vitest" {
  export interface ProvidedContext {
    /** The URL of the moto server started for this test run, e.g. `http://127.0.0.1:40123`. */
    motoEndpoint: string
  }
}

const interpreter = "python3"
/** moto's app on port 0, one request at a time (see the script for why). */
const serverScript = join(import.meta.dirname, "moto_server.py")
const host = "127.0.0.1"
const startupLimitMillis = 20_000
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

/**
 * Fails with a message naming the interpreter and the fix unless `python3 -m moto.server` can run;
 * asked only once moto failed to start, so a working set-up does not import moto twice.
 */
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

/**
 * Moto is started on port 0 and the address the OS gave it is read back from the line the script
 * prints once the socket is bound (`Running on http://127.0.0.1:40123`): no probing for a free port.
 */
const boundUrl = (motoProcess: ChildProcess, output: () => string) =>
  new Promise<string>((resolve, reject) => {
    const pattern = new RegExp(`Running on (http://${host.replaceAll(".", "\\.")}:[0-9]+)`)
    const timer = setTimeout(
      () =>
        finish(new Error(`moto server did not start within ${startupLimitMillis / 1000} s:\n${output()}`)),
      startupLimitMillis,
    )
    const watch = () => {
      const match = pattern.exec(output())
      if (match?.[1] !== undefined) finish(match[1])
    }
    const exited = (code: number | null, signal: string | null) =>
      finish(new Error(`moto server exited (${code ?? signal}) while starting:\n${output()}`))
    const finish = (result: string | Error) => {
      clearTimeout(timer)
      motoProcess.stdout?.off("data", watch)
      motoProcess.stderr?.off("data", watch)
      motoProcess.off("exit", exited)
      if (typeof result === "string") resolve(result)
      else reject(result)
    }
    motoProcess.stdout?.on("data", watch)
    motoProcess.stderr?.on("data", watch)
    motoProcess.once("exit", exited)
  })

const stop = async (motoProcess: ChildProcess) => {
  if (motoProcess.exitCode !== null || motoProcess.signalCode !== null) return
  const exited = new Promise((resolve) => motoProcess.once("exit", resolve))
  motoProcess.kill("SIGTERM")
  const stopped = await Promise.race([exited.then(() => true), sleep(stopLimitMillis).then(() => false)])
  if (!stopped) motoProcess.kill("SIGKILL")
}

/** Starts moto server on a loopback port the OS picks for the whole test run and hands its URL to the tests. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.AWS_ACCESS_KEY_ID ??= "test"
  process.env.AWS_SECRET_ACCESS_KEY ??= "test"
  process.env.AWS_REGION ??= "us-east-1"

  const motoProcess = spawn(interpreter, [serverScript, host], {
    stdio: ["ignore", "pipe", "pipe"],
  })
  const output = keepTail(motoProcess)
  let url: string
  try {
    url = await boundUrl(motoProcess, output)
  } catch (error) {
    await stop(motoProcess)
    checkMotoInstalled()
    throw error
  }
  project.provide("motoEndpoint", url)
  return () => stop(motoProcess)
}
