import { Args, Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Console, Effect, Layer, Option, Schema, Stream } from "effect"
import { describeParseError } from "../../domain/EntryValidation.js"
import { RequestId } from "../../domain/RequestId.js"
import { RunIdFromString } from "../../domain/RunId.js"
import { workflowKinds } from "../../domain/WorkflowKind.js"
import { RepositoryName } from "../../domain/WorkflowRun.js"
import { DeliveryLog } from "../../ports/DeliveryLog.js"
import { RunIndexStore } from "../../ports/RunIndexStore.js"
import { dispatchRun } from "../../programs/DispatchRun.js"
import { indexStats, verifyIndex } from "../../programs/Inspection.js"
import { reconcileAll, reconcileRequest } from "../../programs/Reconcile.js"
import { claimRun, getRequestIdByRunId, putRunIndex } from "../../programs/RunIndex.js"
import { replayParked } from "../../programs/Webhooks.js"
import { dispatchResultJson } from "../DispatchOutput.js"
import * as Server from "../http/Server.js"
import {
  ExitCode,
  entryHeader,
  entryJson,
  entryLine,
  exitWith,
  printJson,
  progressReporter,
} from "./Output.js"
import { simulate } from "./Simulate.js"

const kindChoices = workflowKinds.map((kind) => [kind, kind] as [string, typeof kind])
const kind = Args.choice(kindChoices, { name: "kind" }).pipe(
  Args.withDescription(`workflow kind: ${workflowKinds.join(", ")}`),
)
/** A positional argument decoded with a Schema; a bad value is reported with the argument's name. */
const decodedArg = <A>(name: string, schema: Schema.Schema<A, string>) =>
  Args.text({ name }).pipe(
    Args.mapEffect((text) =>
      Schema.decodeUnknown(schema)(text).pipe(
        Effect.mapError((error) =>
          HelpDoc.p(`${name} ${JSON.stringify(text)}: ${describeParseError(error)}`),
        ),
      ),
    ),
  )
const runId = decodedArg("runId", RunIdFromString).pipe(
  Args.withDescription("GitHub Actions run id (a positive integer)"),
)
const requestId = decodedArg("requestId", RequestId).pipe(
  Args.withDescription("request id, e.g. req_dev_ec2_abc"),
)
const json = Options.boolean("json").pipe(Options.withDescription("print JSON for scripts"))
const kindFilter = Options.choice("kind", workflowKinds).pipe(
  Options.optional,
  Options.withDescription("only this workflow kind"),
)
const listOptions = (filter: Option.Option<(typeof workflowKinds)[number]>) =>
  Option.match(filter, { onNone: () => ({}), onSome: (only) => ({ kind: only }) })

const put = Command.make("put", { kind, runId, requestId, json }, (input) =>
  Effect.gen(function* () {
    const entry = yield* putRunIndex(input)
    yield* input.json
      ? printJson({ status: "written", entry: entryJson(entry) })
      : Console.log(
          `wrote ${entry.kind} run ${entry.runId} → ${entry.requestId} (expires ${entry.expiresAt})`,
        )
  }),
).pipe(Command.withDescription("write an entry, replacing any existing one (prefer claim)"))

const get = Command.make("get", { kind, runId, json }, (input) =>
  Effect.gen(function* () {
    const found = yield* getRequestIdByRunId(input.kind, input.runId)
    switch (found._tag) {
      case "Found":
        return yield* input.json
          ? printJson({ status: "found", entry: entryJson(found.entry) })
          : Console.log(`${entryHeader}\n${entryLine(found.entry)}`)
      case "Missing":
        yield* input.json
          ? printJson({ status: "missing", kind: input.kind, runId: input.runId })
          : Console.error(`no entry for ${input.kind} run ${input.runId}`)
        return yield* exitWith(ExitCode.NotFound)
      case "Invalid":
        yield* input.json
          ? printJson({ status: "invalid", reason: found.invalid.reason, detail: found.invalid.detail })
          : Console.error(
              `invalid entry for ${input.kind} run ${input.runId}: ${found.invalid.reason}: ${found.invalid.detail}`,
            )
        return yield* exitWith(ExitCode.InvalidEntry)
    }
  }),
).pipe(Command.withDescription("show which request owns a run (exit 3 when missing, 5 when invalid)"))

const claim = Command.make("claim", { kind, runId, requestId, json }, (input) =>
  Effect.gen(function* () {
    const outcome = yield* claimRun(input)
    const subject = `${input.kind} run ${input.runId}`
    switch (outcome._tag) {
      case "Claimed":
      case "AlreadyYours":
        return yield* input.json
          ? printJson({
              status: outcome._tag === "Claimed" ? "claimed" : "already-yours",
              entry: entryJson(outcome.entry),
            })
          : Console.log(
              outcome._tag === "Claimed"
                ? `claimed ${subject} for ${input.requestId}`
                : `${subject} was already claimed by ${input.requestId}; nothing changed`,
            )
      case "OwnedByOther":
        yield* input.json
          ? printJson({ status: "owned-by-other", owner: outcome.owner, entry: entryJson(outcome.entry) })
          : Console.error(`${subject} is owned by ${outcome.owner}`)
        return yield* exitWith(ExitCode.ClaimedByOther)
      case "Blocked":
        yield* input.json
          ? printJson({ status: "blocked", reason: outcome.invalid.reason, detail: outcome.invalid.detail })
          : Console.error(
              `${subject} holds an invalid entry (${outcome.invalid.reason}: ${outcome.invalid.detail}); nothing written`,
            )
        return yield* exitWith(ExitCode.InvalidEntry)
    }
  }),
).pipe(
  Command.withDescription("assign a run to a request unless another request holds it (exit 4 when it does)"),
)

const remove = Command.make("delete", { kind, runId, json }, (input) =>
  Effect.gen(function* () {
    const store = yield* RunIndexStore
    yield* store.delete({ kind: input.kind, runId: input.runId })
    yield* input.json
      ? printJson({ status: "deleted", kind: input.kind, runId: input.runId })
      : Console.log(`deleted ${input.kind} run ${input.runId} (if it existed)`)
  }),
).pipe(Command.withDescription("remove an entry; removing a missing entry succeeds"))

const ls = Command.make("ls", { kind: kindFilter, json }, (input) =>
  Effect.gen(function* () {
    const store = yield* RunIndexStore
    if (!input.json) yield* Console.log(entryHeader)
    yield* store.list(listOptions(input.kind)).pipe(
      Stream.runForEach((listed) => {
        if (input.json) {
          return listed._tag === "Valid"
            ? printJson({ status: "valid", path: listed.path, entry: entryJson(listed.entry) })
            : printJson({
                status: "invalid",
                path: listed.path,
                reason: listed.invalid.reason,
                detail: listed.invalid.detail,
              })
        }
        return listed._tag === "Valid"
          ? Console.log(entryLine(listed.entry))
          : Console.log(`INVALID     ${listed.path}  ${listed.invalid.reason}: ${listed.invalid.detail}`)
      }),
    )
  }),
).pipe(
  Command.withDescription("list entries in key order, streaming (--json prints one JSON object per line)"),
)

const stats = Command.make("stats", { kind: kindFilter, json }, (input) =>
  Effect.gen(function* () {
    const progress = progressReporter("scanning")
    const report = yield* indexStats({ ...listOptions(input.kind), onEntry: progress.onEntry })
    progress.done()
    if (input.json) return yield* printJson(report)
    const lines = [
      `entries     ${report.entries}`,
      ...workflowKinds.map((each) => `  ${each.padEnd(12)}${report.byKind[each]}`),
      `expired     ${report.expired}`,
      `invalid     ${report.invalid}`,
      `oldest      ${report.oldestCreatedAt ?? "-"}`,
      `newest      ${report.newestCreatedAt ?? "-"}`,
    ]
    yield* Console.log(lines.join("\n"))
  }),
).pipe(Command.withDescription("count entries by kind, expired and invalid; oldest and newest createdAt"))

const verify = Command.make("verify", { kind: kindFilter, json }, (input) =>
  Effect.gen(function* () {
    const progress = progressReporter("verifying")
    const report = yield* verifyIndex({ ...listOptions(input.kind), onEntry: progress.onEntry })
    progress.done()
    if (input.json) {
      yield* printJson({ ...report, consistent: report.invalid === 0 })
    } else {
      yield* Console.log(`checked ${report.checked}: ${report.valid} valid, ${report.invalid} invalid`)
      for (const [reason, count] of Object.entries(report.reasons))
        yield* Console.log(`  ${reason.padEnd(18)}${count}`)
      for (const invalid of report.invalidEntries) {
        yield* Console.log(`INVALID ${invalid.path}  ${invalid.reason}: ${invalid.detail}`)
      }
    }
    if (report.invalid > 0) return yield* exitWith(ExitCode.Failure)
  }),
).pipe(
  Command.withDescription("check that every entry decodes and matches its key (exit 1 when any does not)"),
)

const decodedOption = <A>(name: string, schema: Schema.Schema<A, string>) =>
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

const dispatch = Command.make(
  "dispatch",
  {
    kind,
    request: decodedOption("request", RequestId).pipe(Options.withDescription("the request id")),
    repo: decodedOption("repo", RepositoryName).pipe(Options.withDescription("owner/repo")),
    workflow: Options.text("workflow").pipe(Options.withDescription("workflow file (apply.yml) or id")),
    ref: Options.text("ref").pipe(Options.withDescription("branch or tag to run on")),
    input: Options.keyValueMap("input").pipe(
      Options.optional,
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
      const inputs = Option.match(input.input, {
        onNone: () => ({}),
        onSome: (pairs) => Object.fromEntries(pairs),
      })
      const result = yield* dispatchRun({
        kind: input.kind,
        requestId: input.request,
        repository: input.repo,
        workflow: input.workflow,
        ref: input.ref,
        inputs,
        actor: Option.getOrUndefined(input.actor),
        requireToken: input.requireToken,
      }).pipe(
        Effect.catchTag("DispatchRefused", (refused) =>
          Console.error(refused.message).pipe(Effect.zipRight(exitWith(ExitCode.Failure))),
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
).pipe(Command.withDescription("dispatch a workflow for a request, learn its run id and claim it"))

const parked = Command.make("parked", { json }, (input) =>
  Effect.gen(function* () {
    const log = yield* DeliveryLog
    yield* log.parked.pipe(
      Stream.runForEach((delivery) =>
        input.json
          ? printJson({
              deliveryId: delivery.deliveryId,
              event: delivery.headers["x-github-event"] ?? null,
              reason: delivery.reason,
              parkedAt: delivery.parkedAt,
              attempts: delivery.attempts,
            })
          : Console.log(
              `${delivery.deliveryId}  ${delivery.parkedAt}  attempts ${delivery.attempts}  ${delivery.reason}`,
            ),
      ),
    )
  }),
).pipe(
  Command.withDescription(
    "list webhook deliveries that could not be processed (--json: one object per line)",
  ),
)

const replay = Command.make("replay", { json }, (input) =>
  Effect.gen(function* () {
    const result = yield* replayParked()
    yield* input.json
      ? printJson(result)
      : Console.log(`replayed ${result.replayed}; still parked ${result.stillParked}`)
    if (result.stillParked > 0) return yield* exitWith(ExitCode.Failure)
  }),
).pipe(Command.withDescription("process every parked delivery again; exit 1 while any stays parked"))

const deliveries = Command.make("deliveries").pipe(
  Command.withDescription("parked webhook deliveries"),
  Command.withSubcommands([parked, replay]),
)

/** `github:Unavailable 2, run-not-found 1`, or `none`. */
const describeFailures = (failed: Readonly<Record<string, number>>) =>
  Object.entries(failed)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(", ") || "none"

const reconcile = Command.make(
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
    "ask GitHub for the run of every attempt that holds one and is not completed, and apply it as its webhook would (exit 1 when any check failed)",
  ),
)

const serve = Command.make("serve", {}, () => Layer.launch(Server.layer)).pipe(
  Command.withDescription("run the HTTP service on HOST:PORT (default 127.0.0.1:8787)"),
)

export const command = Command.make("run-index").pipe(
  Command.withDescription("The run index: which request owns each GitHub Actions workflow run"),
  Command.withSubcommands([
    put,
    get,
    claim,
    remove,
    ls,
    stats,
    verify,
    dispatch,
    deliveries,
    reconcile,
    simulate,
    serve,
  ]),
)

export const run = Command.run(command, { name: "run-index", version: "0.1.0" })
