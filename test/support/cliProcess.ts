import { execFile } from "node:child_process"
import { readdir, stat } from "node:fs/promises"
import { join } from "node:path"
import { promisify } from "node:util"

const root = join(import.meta.dirname, "../..")
const bin = join(root, "dist/bin.js")

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const newestSource = async (directory: string): Promise<number> => {
  const entries = await readdir(directory, { withFileTypes: true })
  const times = await Promise.all(
    entries.map((entry) =>
      entry.isDirectory()
        ? newestSource(join(directory, entry.name))
        : stat(join(directory, entry.name)).then((info) => info.mtimeMs),
    ),
  )
  return Math.max(0, ...times)
}

/**
 * Builds `dist/` (`npm run build`, what `npm ci` runs as `prepare`) when it is missing or older than
 * `src/`, so the binary under test is the code under test.
 */
const build = async () => {
  const built = await stat(bin).then(
    (info) => info.mtimeMs,
    () => 0,
  )
  if (built >= (await newestSource(join(root, "src")))) return
  await promisify(execFile)(
    process.execPath,
    [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
    {
      cwd: root,
    },
  )
}

let built: Promise<void> | undefined
export const ensureBuilt = () => {
  built ??= build()
  return built
}

/**
 * Runs the built `run-index <args>` as its own process, the way an operator or a script would (this
 * process's environment, then `env`). Seconds of CPU each: test commands in process (test/support/cli.ts),
 * and keep this for what only a real process shows.
 */
export const runCli = async (args: ReadonlyArray<string>, env: Record<string, string>, cwd: string) => {
  await ensureBuilt()
  return new Promise<CliResult>((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      {
        cwd,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
        resolve({ code, stdout, stderr })
      },
    )
  })
}
