import { Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Console, Effect, Option, Schema } from "effect"
import { describeParseError } from "../../domain/EntryValidation.js"
import { RequestId } from "../../domain/RequestId.js"
import { RepositoryName } from "../../domain/WorkflowRun.js"
import type { DispatchStep } from "../../programs/DispatchRun.js"
import { dispatchResultJson } from "../DispatchOutput.js"
import { dispatchingVariables, withEnvironment } from "./Environment.js"
import { decodedOption, json, kind } from "./Inputs.js"
import { ExitCode, exitWith, printJson } from "./Output.js"

/** `--input key=value`, repeatable; a value without `=` is named in the error. */
const InputPair = Schema.String.pipe(
  Schema.filter((text) => /^[^=]+=/.test(text) || "must be key=value, e.g. --input environment=dev"),
)

/** What a dispatch waits on, one line rewritten in place on stderr when it is a terminal. */
const dispatchProgressLine = (label: string) => {
  const interactive = process.stderr.isTTY === true
  const text = (step: DispatchStep) => {
    switch (step._tag) {
      case "WaitingForLane":
        return `${label}: waiting for the dispatch lane`
      case "Dispatching":
        return `${label}: dispatching`
      case "LookingForRun":
        return `${label}: dispatched; looking for its run (look ${step.look})`
    }
  }
  return {
    onStep: (step: DispatchStep) => {
      if (interactive) process.stderr.write(`\r\x1b[K${text(step)}`)
    },
    done: () => {
      if (interactive) process.stderr.write("\r\x1b[K")
    },
  }
}

/** `dispatch`: the programs load when it runs. */
export const dispatchCommand = Command.make(
  "dispatch",
  {
    kind,
    request: decodedOption("request", RequestId).pipe(Options.withDescription("the request id")),
    repo: decodedOption("repo", RepositoryName).pipe(Options.withDescription("owner/repo")),
    workflow: Options.text("workflow").pipe(Options.withDescription("workflow file (apply.yml) or id")),
    ref: Options.text("ref").pipe(Options.withDescription("branch or tag to run on")),
    input: Options.text("input").pipe(
      Options.repeated,
      Options.mapEffect((pairs) =>
        Effect.forEach(pairs, (pair) =>
          Schema.decodeUnknown(InputPair)(pair).pipe(
            Effect.mapError((error) =>
              ValidationError.invalidValue(
                HelpDoc.p(`--input ${JSON.stringify(pair)}: ${describeParseError(error)}`),
              ),
            ),
          ),
        ),
      ),
      Options.withDescription("a workflow input as key=value (repeatable)"),
    ),
    actor: Options.text("actor").pipe(
      Options.optional,
      Options.withDescription("who asked, recorded on the attempt"),
    ),
    requireToken: Options.boolean("require-token").pipe(
      Options.withDescription(
        "accept only a run whose title carries the request id (workflows that render it in run-name)",
      ),
    ),
    json,
  },
  (input) =>
    Effect.gen(function* () {
      const inputs = Object.fromEntries(
        input.input.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
      )
      const { dispatchRun } = yield* Effect.promise(() => import("../../programs/DispatchRun.js"))
      const dispatchProgress = dispatchProgressLine(`${input.kind} for ${input.request}`)
      const result = yield* dispatchRun(
        {
          kind: input.kind,
          requestId: input.request,
          repository: input.repo,
          workflow: input.workflow,
          ref: input.ref,
          inputs,
          actor: Option.getOrUndefined(input.actor),
          requireToken: input.requireToken,
        },
        { onProgress: dispatchProgress.onStep },
      ).pipe(
        Effect.ensuring(Effect.sync(dispatchProgress.done)),
        Effect.catchTags({
          DispatchRefused: (refused) =>
            (input.json
              ? printJson({
                  error: "dispatch refused",
                  requestId: refused.requestId,
                  kind: refused.kind,
                  attempt: refused.attempt,
                  reason: refused.cause.reason,
                  detail: refused.cause.detail,
                })
              : Console.error(refused.message)
            ).pipe(Effect.zipRight(exitWith(ExitCode.Failure))),
          DispatchNotConfigured: (notConfigured) =>
            (input.json
              ? printJson({
                  error: "not configured",
                  requestId: notConfigured.requestId,
                  kind: notConfigured.kind,
                  detail: notConfigured.cause.detail,
                })
              : Console.error(`run-index: ${notConfigured.message}`)
            ).pipe(Effect.zipRight(exitWith(ExitCode.Usage))),
        }),
        // Any other failure, for scripts too: one JSON line naming it, exit 1.
        Effect.catchIf(
          (error) => input.json && error._tag !== "ExitWith",
          (error) =>
            printJson({ error: "dispatch failed", reason: error._tag, detail: error.message }).pipe(
              Effect.zipRight(exitWith(ExitCode.Failure)),
            ),
        ),
      )
      if (input.json) return yield* printJson(dispatchResultJson(result))
      yield* Console.log(
        Option.match(result.runId, {
          onNone: () =>
            `dispatched ${result.kind} attempt ${result.attempt} for ${result.requestId}; no run found yet (left for the webhook or reconcile)`,
          onSome: (runId) =>
            `dispatched ${result.kind} attempt ${result.attempt} for ${result.requestId}: run ${runId} (${result.source})${Option.match(result.url, { onNone: () => "", onSome: (url) => ` ${url}` })}`,
        }),
      )
    }),
).pipe(
  Command.withDescription(
    withEnvironment(dispatchingVariables, "dispatch a workflow for a request, learn its run id and claim it"),
  ),
)
