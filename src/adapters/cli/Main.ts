import { ValidationError } from "@effect/cli"
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Effect, Exit, Layer, Logger, Option } from "effect"
import * as Settings from "../Settings.js"
import { ExitCode, ExitWith } from "./Output.js"

/**
 * Logs go to stderr — stdout is for output (`--json`) — as one JSON object per line for log
 * collectors, or pretty for a person at a terminal (`RUN_INDEX_LOG_FORMAT` chooses).
 */
const logger = Layer.unwrapEffect(
  Effect.map(Settings.logFormat, (format) =>
    Option.getOrElse(format, () => (process.stderr.isTTY ? "pretty" : "json")) === "json"
      ? Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.jsonLogger))
      : Logger.replace(Logger.defaultLogger, Logger.prettyLogger({ stderr: true })),
  ),
)

/**
 * A CLI program as the exit code of its process: 2 for usage errors (already printed by
 * @effect/cli), the code a command chose, 1 with a one-line message on stderr otherwise. It never fails.
 */
export const exitCode = <E, R>(program: Effect.Effect<void, E, R>): Effect.Effect<number, never, R> =>
  program.pipe(
    Effect.as(ExitCode.Success as number),
    Effect.provide(logger),
    Effect.catchAll((error: unknown) => {
      if (ValidationError.isValidationError(error)) return Effect.succeed(ExitCode.Usage as number)
      if (error instanceof ExitWith) return Effect.succeed(error.code)
      const message = error instanceof Error ? error.message : String(error)
      return Console.error(`run-index: ${message}`).pipe(Effect.as(ExitCode.Failure as number))
    }),
    Effect.catchAllDefect((defect) =>
      Console.error(`run-index: unexpected failure\n${Cause.pretty(Cause.die(defect))}`).pipe(
        Effect.as(ExitCode.Failure as number),
      ),
    ),
  )

/** Runs a CLI program and ends the process with its exit code (see `exitCode`). */
export const runCli = <E, R extends never>(program: Effect.Effect<void, E, R>) =>
  NodeRuntime.runMain(exitCode(program), {
    disableErrorReporting: true,
    disablePrettyLogger: true,
    teardown: (exit, onExit) =>
      onExit(Exit.isSuccess(exit) && typeof exit.value === "number" ? exit.value : ExitCode.Failure),
  })
