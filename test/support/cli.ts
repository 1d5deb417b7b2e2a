import { format } from "node:util"
import { ConfigProvider, Console, Effect, Layer } from "effect"
import { exitCode } from "../../src/adapters/cli/Main.js"
import * as CliApp from "../../src/app/Cli.js"
import * as Layers from "../../src/app/Layers.js"
import type { StoreServices } from "../../src/app/Stores.js"
import { HookDeliveries, notConfigured } from "../../src/ports/HookDeliveries.js"
import type { WorkflowRunsGateway } from "../../src/ports/WorkflowRunsGateway.js"

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface CliOptions {
  /** The whole environment the command sees (nothing of this process's environment leaks in). */
  readonly env?: Record<string, string>
  /** Replaces the stores the environment names; build it once to keep its state across commands. */
  readonly stores?: Layer.Layer<StoreServices, unknown>
  /**
   * Replaces GitHub as the environment configures it (Octokit, or "not configured"); the webhook's
   * deliveries (`deliveries recover`) are then not configured.
   */
  readonly gateway?: Layer.Layer<WorkflowRunsGateway, unknown>
}

/**
 * A console that keeps what a command prints: `log`/`info`/`debug`/`table`/`dir` to stdout,
 * `error`/`warn`/`trace` to stderr, as Node's console does. The JSON logger writes through `unsafe`.
 */
const capturingConsole = () => {
  const stdout: Array<string> = []
  const stderr: Array<string> = []
  const toOut = (...parts: ReadonlyArray<unknown>) => void stdout.push(`${format(...parts)}\n`)
  const toErr = (...parts: ReadonlyArray<unknown>) => void stderr.push(`${format(...parts)}\n`)
  const unsafe = {
    ...globalThis.console,
    log: toOut,
    info: toOut,
    debug: toOut,
    table: toOut,
    dir: toOut,
    error: toErr,
    warn: toErr,
    trace: toErr,
  } as Console.UnsafeConsole
  const base = Effect.runSync(Console.consoleWith(Effect.succeed))
  const lift =
    (write: (...parts: ReadonlyArray<unknown>) => void) =>
    (...parts: ReadonlyArray<unknown>) =>
      Effect.sync(() => write(...parts))
  const console: Console.Console = {
    ...base,
    unsafe,
    log: lift(toOut),
    info: lift(toOut),
    debug: lift(toOut),
    table: lift(toOut),
    dir: lift(toOut),
    error: lift(toErr),
    warn: lift(toErr),
    trace: lift(toErr),
  }
  return { console, stdout: () => stdout.join(""), stderr: () => stderr.join("") }
}

/**
 * `run-index <args>` in this process: the @effect/cli app of `src/bin.ts` over the composition's
 * environment (src/app/Layers.ts; the stores or GitHub replaced when given), the process's exit code as `src/adapters/cli/Main.ts` maps it, and what it printed.
 * Much cheaper than a spawned process (no Node start, no module loading); the built binary has
 * its own smoke test (test/adapters/cli/CliBinary.test.ts).
 */
export const cli = (args: ReadonlyArray<string>, options: CliOptions = {}): Effect.Effect<CliResult> =>
  Effect.suspend(() => {
    const captured = capturingConsole()
    return exitCode(
      CliApp.mainWith(
        ["node", "run-index", ...args],
        Layers.environmentWith({
          ...(options.stores === undefined ? {} : { stores: options.stores }),
          ...(options.gateway === undefined
            ? {}
            : {
                github: Layer.merge(
                  options.gateway,
                  Layer.succeed(HookDeliveries, notConfigured("not configured in this test")),
                ),
              }),
        }),
      ),
    ).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(options.env ?? {})))),
      Effect.withConsole(captured.console),
      Effect.map((code) => ({ code, stdout: captured.stdout(), stderr: captured.stderr() })),
    )
  })

/** `cli` as a Promise, for async tests. */
export const runCliInProcess = (args: ReadonlyArray<string>, options: CliOptions = {}) =>
  Effect.runPromise(cli(args, options))

/** The first line of stdout parsed as JSON (what `--json` prints for one result). */
export const json = (result: CliResult) => JSON.parse(result.stdout) as Record<string, unknown>
