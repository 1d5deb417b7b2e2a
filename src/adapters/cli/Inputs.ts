import { Args, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Effect, Option, Schema } from "effect"
import { describeParseError } from "../../domain/EntryValidation.js"
import { RequestId } from "../../domain/RequestId.js"
import { RunIdFromString } from "../../domain/RunId.js"
import { WorkflowKind, workflowKinds } from "../../domain/WorkflowKind.js"

/** A positional argument decoded with a Schema; a bad value is reported with the argument's name. */
export const decodedArg = <A, I>(name: string, schema: Schema.Schema<A, I>) =>
  Args.text({ name }).pipe(
    Args.mapEffect((text) =>
      Schema.decodeUnknown(schema)(text).pipe(
        Effect.mapError((error) =>
          HelpDoc.p(`${name} ${JSON.stringify(text)}: ${describeParseError(error)}`),
        ),
      ),
    ),
  )

/** An option decoded with a Schema; a bad value is reported with the option's name. */
export const decodedOption = <A, I>(name: string, schema: Schema.Schema<A, I>) =>
  Options.text(name).pipe(
    Options.mapEffect((text) =>
      Schema.decodeUnknown(schema)(text).pipe(
        Effect.mapError((error) =>
          ValidationError.invalidValue(
            HelpDoc.p(`--${name} ${JSON.stringify(text)}: ${describeParseError(error)}`),
          ),
        ),
      ),
    ),
  )

export const kind = decodedArg("kind", WorkflowKind).pipe(
  Args.withDescription(`workflow kind: ${workflowKinds.join(", ")}`),
)
export const runId = decodedArg("runId", RunIdFromString).pipe(
  Args.withDescription("GitHub Actions run id (a positive integer)"),
)
export const requestId = decodedArg("requestId", RequestId).pipe(
  Args.withDescription("request id, e.g. req_dev_ec2_abc"),
)
export const json = Options.boolean("json").pipe(Options.withDescription("print JSON for scripts"))
export const dryRun = Options.boolean("dry-run").pipe(
  Options.withDescription("report what would change, change nothing"),
)
export const kindFilter = decodedOption("kind", WorkflowKind).pipe(
  Options.optional,
  Options.withDescription(`only this workflow kind: ${workflowKinds.join(", ")}`),
)

/** `--kind` as the listing options of the programs: all kinds when absent. */
export const listOptions = (filter: Option.Option<WorkflowKind>) =>
  Option.match(filter, { onNone: () => ({}), onSome: (only) => ({ kind: only }) })

/**
 * What a command does, loaded when it runs: the command tree (names, options, help) is built at
 * every start for parsing, the programs and adapters behind a handler only for the command given.
 */
export const runLoaded = <M, A, E, R>(load: () => Promise<M>, run: (module: M) => Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.promise(load), run)
