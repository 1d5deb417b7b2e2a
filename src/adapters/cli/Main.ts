import { stripVTControlCharacters } from "node:util"
import { ValidationError } from "@effect/cli"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, ConfigError, Console, Effect, Exit, Layer, Logger, Option } from "effect"
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

/** Breaks `line` at spaces to fit `width`, continuation lines indented like the line itself. */
const wrapLine = (line: string, width: number): ReadonlyArray<string> => {
  if (line.length <= width || line.includes("\x1b")) return [line]
  const indent = /^\s*/.exec(line)?.[0] ?? ""
  const lines: Array<string> = []
  let current = indent
  for (const word of line.slice(indent.length).split(" ")) {
    if (current.length > indent.length && current.length + 1 + word.length > width) {
      lines.push(current)
      current = indent + word
    } else {
      current = current.length > indent.length ? `${current} ${word}` : current + word
    }
  }
  lines.push(current)
  return lines
}

/**
 * @effect/cli writes help and usage with ANSI styles and unwrapped lines. Text that carries styles
 * (help, never command output, which has none) is wrapped at the terminal's width (80 when stdout
 * is not a terminal), and loses its styles when stdout is not a terminal or `NO_COLOR` is set.
 */
const helpConsole = Effect.map(Console.consoleWith(Effect.succeed), (console) => {
  const plain = process.stdout.isTTY !== true || (process.env.NO_COLOR ?? "") !== ""
  const width = process.stdout.isTTY === true ? (process.stdout.columns ?? 80) : 80
  const render = (text: string) =>
    (plain ? stripVTControlCharacters(text) : text)
      .split("\n")
      .flatMap((line) => wrapLine(line, width))
      .join("\n")
  return {
    ...console,
    log: (...args: ReadonlyArray<unknown>) =>
      args.some((arg) => typeof arg === "string" && arg.includes("\x1b["))
        ? console.log(...args.map((arg) => (typeof arg === "string" ? render(arg) : arg)))
        : console.log(...args),
  } satisfies Console.Console
})

/** The last line of a message: Schema's failure trees end with the one that names the rule broken. */
const lastLine = (message: string) =>
  message
    .trim()
    .split("\n")
    .at(-1)
    ?.replace(/^[\s└├─│]+/, "") ?? ""

/** `NAME="value": what is wrong and what is accepted`, one per variable at fault. */
const describeConfigError = (error: ConfigError.ConfigError): ReadonlyArray<string> => {
  switch (error._op) {
    case "And":
    case "Or":
      return [...describeConfigError(error.left), ...describeConfigError(error.right)]
    default: {
      const name = error.path.join("_")
      const value = process.env[name]
      return [`${name}${value === undefined ? "" : `=${JSON.stringify(value)}`}: ${lastLine(error.message)}`]
    }
  }
}

/** Why the service could not listen on `HOST`:`PORT`, in words, from the error Node gave. */
const describeListenFailure = (cause: unknown) =>
  Effect.map(Effect.all({ host: Settings.host, port: Settings.port }), ({ host, port }) => {
    const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : ""
    const where = `HOST=${host} PORT=${port}`
    switch (code) {
      case "EADDRINUSE":
        return `cannot listen on ${where}: the port is in use by another process (EADDRINUSE); stop it or set PORT to a free port`
      case "EACCES":
        return `cannot listen on ${where}: not permitted (EACCES); ports below 1024 need privileges, set PORT to 1024-65535`
      case "EADDRNOTAVAIL":
        return `cannot listen on ${where}: ${host} is not an address of this machine (EADDRNOTAVAIL); set HOST to one, e.g. 127.0.0.1 or 0.0.0.0`
      case "ENOTFOUND":
      case "EAI_AGAIN":
        return `cannot listen on ${where}: ${host} does not resolve to an address (${code}); set HOST to an address of this machine, e.g. 127.0.0.1 or 0.0.0.0`
      default:
        return `cannot listen on ${where}: ${cause instanceof Error ? cause.message : String(cause)}`
    }
  }).pipe(Effect.orElseSucceed(() => `cannot listen: ${String(cause)}`))

const isTagged = (error: unknown, tag: string): error is { readonly _tag: string; readonly cause: unknown } =>
  typeof error === "object" && error !== null && "_tag" in error && error._tag === tag

/**
 * A CLI program as the exit code of its process: 2 for usage errors (already printed by
 * @effect/cli) and configuration errors (one line per variable), the code a command chose, 1 with a
 * one-line message on stderr otherwise. It never fails.
 */
export const exitCode = <E, R>(program: Effect.Effect<void, E, R>): Effect.Effect<number, never, R> =>
  program.pipe(
    Effect.as(ExitCode.Success as number),
    Effect.provide(Layer.unwrapEffect(Effect.map(helpConsole, Console.setConsole))),
    Effect.provide(logger),
    Effect.catchAll((error: unknown) => {
      if (ValidationError.isValidationError(error)) return Effect.succeed(ExitCode.Usage as number)
      if (error instanceof ExitWith) return Effect.succeed(error.code)
      if (ConfigError.isConfigError(error))
        return Effect.as(
          Effect.forEach(describeConfigError(error), (line) => Console.error(`run-index: ${line}`)),
          ExitCode.Usage as number,
        )
      if (isTagged(error, "ServeError"))
        return describeListenFailure(error.cause).pipe(
          Effect.flatMap((line) => Console.error(`run-index: ${line}`)),
          Effect.as(ExitCode.Failure as number),
        )
      const message = error instanceof Error ? error.message : String(error)
      return Console.error(`run-index: ${message}`).pipe(Effect.as(ExitCode.Failure as number))
    }),
    Effect.catchAllDefect((defect) =>
      Console.error(`run-index: unexpected failure\n${Cause.pretty(Cause.die(defect))}`).pipe(
        Effect.as(ExitCode.Failure as number),
      ),
    ),
  )

/**
 * Runs a CLI program and ends the process with its exit code (see `exitCode`). Interrupted by
 * SIGTERM or SIGINT, once its finalizers ran (the service: stop accepting, finish deliveries under
 * way), it exits 0.
 */
export const runCli = <E, R extends never>(program: Effect.Effect<void, E, R>) =>
  NodeRuntime.runMain(exitCode(program), {
    disableErrorReporting: true,
    disablePrettyLogger: true,
    teardown: (exit, onExit) =>
      onExit(
        Exit.isSuccess(exit) && typeof exit.value === "number"
          ? exit.value
          : Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)
            ? ExitCode.Success
            : ExitCode.Failure,
      ),
  })
