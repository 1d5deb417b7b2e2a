import { Command, Options } from "@effect/cli"
import { Console, Effect, Layer, Option } from "effect"
import { RequestId } from "../../domain/RequestId.js"
import { reconcilingVariables, servingVariables, withEnvironment } from "./Environment.js"
import { decodedOption, json } from "./Inputs.js"
import { ExitCode, exitWith, printJson, progressReporter } from "./Output.js"

/** `github:Unavailable 2, run-not-found 1`, or `none`. */
const describeFailures = (failed: Readonly<Record<string, number>>) =>
  Object.entries(failed)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(", ") || "none"

/** `reconcile`: the program loads when it runs. */
export const reconcileCommand = Command.make(
  "reconcile",
  {
    request: decodedOption("request", RequestId).pipe(
      Options.optional,
      Options.withDescription("reconcile this request only"),
    ),
    all: Options.boolean("all").pipe(Options.withDescription("reconcile every request document")),
    json,
  },
  (input) =>
    Effect.gen(function* () {
      if (Option.isSome(input.request) === input.all) {
        yield* Console.error("reconcile: give exactly one of --request ID or --all")
        return yield* exitWith(ExitCode.Usage)
      }
      const { reconcileAll, reconcileRequest } = yield* Effect.promise(
        () => import("../../programs/Reconcile.js"),
      )
      const progress = progressReporter("reconciling")
      const report = yield* Option.match(input.request, {
        onSome: reconcileRequest,
        onNone: () => reconcileAll({ onRequest: progress.onEntry }),
      })
      progress.done()
      const failures = Object.values(report.failed).reduce((sum, count) => sum + count, 0)
      yield* input.json
        ? printJson(report)
        : Console.log(
            `checked ${report.checked}: ${report.patched} patched, ${report.unchanged} unchanged, ${failures} failed (${describeFailures(report.failed)})`,
          )
      if (failures > 0) return yield* exitWith(ExitCode.Failure)
    }),
).pipe(
  Command.withDescription(
    withEnvironment(
      reconcilingVariables,
      "ask GitHub for the run of every attempt that holds one and is not completed, and apply it as its webhook would (exit 1 when any check failed)",
    ),
  ),
)

/** `serve`: the HTTP service, loaded when it runs. */
export const serveCommand = Command.make("serve", {}, () =>
  Effect.flatMap(
    Effect.promise(() => import("../http/Server.js")),
    (Server) => Layer.launch(Server.layer),
  ),
).pipe(
  Command.withDescription(
    withEnvironment(servingVariables, "run the HTTP service on HOST:PORT (default 127.0.0.1:8787)"),
  ),
)
