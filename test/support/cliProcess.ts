import { execFile } from "node:child_process"
import { join } from "node:path"

const bin = join(import.meta.dirname, "../../src/bin.ts")
const tsx = join(import.meta.dirname, "../../node_modules/tsx/dist/esm/index.mjs")

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `run-index <args>` as its own process, the way an operator or a script would. */
export const runCli = (args: ReadonlyArray<string>, env: Record<string, string>, cwd: string) =>
  new Promise<CliResult>((resolve) => {
    execFile(
      process.execPath,
      ["--import", tsx, bin, ...args],
      { cwd, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
        resolve({ code, stdout, stderr })
      },
    )
  })
