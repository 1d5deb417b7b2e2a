import { ValidationError } from "@effect/cli"
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Effect, Exit, Logger } from "effect"
import { ExitCode, ExitWith } from "./Output.js"

/**
 * Runs a CLI program and ends the process with the documented exit codes: 2 for usage errors
 * (already printed by @effect/cli), the code a command chose, 1 with a one-line message otherwise.
 */
export const runCli = <E, R extends never>(program: Effect.Effect<void, E, R>) =>
  NodeRuntime.runMain(
    program.pipe(
      Effect.as(ExitCode.Success as number),
      Effect.catchAll((error: unknown) => {
        if (ValidationError.isValidationError(error)) return Effect.succeed(ExitCode.Usage as number)
        if (error instanceof ExitWith) return Effect.succeed(error.code)
        const message = error instanceof Error ? error.message : String(error)
        return Console.error(`run-index: ${message}`).pipe(Effect.as(ExitCode.Failure as number))
      }),
      // Logs are for people, stdout is for output (`--json`): logs go to stderr.
      Effect.provide(Logger.replace(Logger.defaultLogger, Logger.prettyLogger({ stderr: true }))),
      Effect.catchAllDefect((defect) =>
        Console.error(`run-index: unexpected failure\n${Cause.pretty(Cause.die(defect))}`).pipe(
          Effect.as(ExitCode.Failure as number),
        ),
      ),
    ),
    {
      disableErrorReporting: true,
      disablePrettyLogger: true,
      teardown: (exit, onExit) =>
        onExit(Exit.isSuccess(exit) && typeof exit.value === "number" ? exit.value : ExitCode.Failure),
    },
  )
