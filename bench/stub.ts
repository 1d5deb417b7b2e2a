import { spawn } from "node:child_process"
import { once } from "node:events"
import { fileURLToPath } from "node:url"
import { startS3Stub } from "../test/support/S3Stub.js"

export interface RunningStub {
  readonly url: string
  /** Where the stub runs: its own process (the default) or this one. */
  readonly placement: StubPlacement
  readonly stop: () => Promise<void>
}

export type StubPlacement = "child process" | "in process"

const startupLimitMillis = 20_000
const stubServerFile = fileURLToPath(new URL("./stubServer.ts", import.meta.url))

/**
 * The S3 stub answering every GET with `body`. In a child process by default: in this process it
 * would spend the benchmark's own event loop on parsing requests and writing answers, which hides
 * the client-side cost the comparison is after.
 */
export const startFixedBodyStub = async (body: string, placement: StubPlacement): Promise<RunningStub> => {
  if (placement === "in process") {
    const stub = await startS3Stub({ fixedGetBody: body })
    return { url: stub.url, placement, stop: stub.close }
  }
  // The same Node with the same loader flags (tsx's), so the child can run TypeScript too.
  const child = spawn(process.execPath, [...process.execArgv, stubServerFile, body], {
    stdio: ["pipe", "pipe", "inherit"],
  })
  const exited = once(child, "exit")
  const url = await new Promise<string>((resolve, reject) => {
    let output = ""
    const timer = setTimeout(
      () => reject(new Error("the S3 stub process did not start in time")),
      startupLimitMillis,
    )
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
      reject(new Error(`the S3 stub process exited (${code ?? signal}) before it was ready`))
    })
  }).catch((error: unknown) => {
    child.kill("SIGKILL")
    throw error
  })
  return {
    url,
    placement,
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
