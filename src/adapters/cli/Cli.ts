import { randomUUID } from "node:crypto"
import { Args, Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import * as FileSystem from "@effect/platform/FileSystem"
import { Console, Duration, Effect, Layer, Option, ParseResult, Schema, Stream } from "effect"
import { describeParseError } from "../../domain/EntryValidation.js"
import {
  defaultLifecycleDays,
  isRunIndexRule,
  LifecycleDays,
  lifecycleRuleId,
} from "../../domain/LifecycleRule.js"
import { RequestId } from "../../domain/RequestId.js"
import { RunIdFromString } from "../../domain/RunId.js"
import { runIndexPrefix } from "../../domain/RunIndexKey.js"
import { InstantFromIso } from "../../domain/Timestamp.js"
import { WorkflowKind, workflowKinds } from "../../domain/WorkflowKind.js"
import { RepositoryName } from "../../domain/WorkflowRun.js"
import { DeliveryId } from "../../domain/WorkflowRunPayload.js"
import { BucketLifecycle } from "../../ports/BucketLifecycle.js"
import { DeliveryLog } from "../../ports/DeliveryLog.js"
import { RunIndexStore } from "../../ports/RunIndexStore.js"
import { backfillIndex } from "../../programs/Backfill.js"
import { type DispatchStep, dispatchRun } from "../../programs/DispatchRun.js"
import {
  type CrossCheckReport,
  indexStats,
  type VerifyReport,
  verifyIndex,
  verifyIndexAndRequests,
} from "../../programs/Inspection.js"
import { applyLifecycle, showLifecycle } from "../../programs/Lifecycle.js"
import { reconcileAll, reconcileRequest } from "../../programs/Reconcile.js"
import { recoverDeliveries } from "../../programs/Recover.js"
import { replayParked } from "../../programs/Replay.js"
import { claimRun, getRequestIdByRunId, putRunIndex } from "../../programs/RunIndex.js"
import { type SweepProgress, type SweepReport, sweepIndex } from "../../programs/Sweep.js"
import { simulate } from "../../simulation/cli/Simulate.js"
import { dispatchResultJson } from "../DispatchOutput.js"
import {
  ExitCode,
  entryHeader,
  entryJson,
  entryLine,
  exitWith,
  printJson,
  progressReporter,
} from "./Output.js"

/** A positional argument decoded with a Schema; a bad value is reported with the argument's name. */
const decodedArg = <A, I>(name: string, schema: Schema.Schema<A, I>) =>
  Args.text({ name }).pipe(
    Args.mapEffect((text) =>
      Schema.decodeUnknown(schema)(text).pipe(
        Effect.mapError((error) =>
          HelpDoc.p(`${name} ${JSON.stringify(text)}: ${describeParseError(error)}`),
        ),
      ),
    ),
  )
const kind = decodedArg("kind", WorkflowKind).pipe(
  Args.withDescription(`workflow kind: ${workflowKinds.join(", ")}`),
)
const runId = decodedArg("runId", RunIdFromString).pipe(
  Args.withDescription("GitHub Actions run id (a positive integer)"),
)
const requestId = decodedArg("requestId", RequestId).pipe(
  Args.withDescription("request id, e.g. req_dev_ec2_abc"),
)
const json = Options.boolean("json").pipe(Options.withDescription("print JSON for scripts"))
const listOptions = (filter: Option.Option<WorkflowKind>) =>
  Option.match(filter, { onNone: () => ({}), onSome: (only) => ({ kind: only }) })

const decodedOption = <A, I>(name: string, schema: Schema.Schema<A, I>) =>
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
const kindFilter = decodedOption("kind", WorkflowKind).pipe(
  Options.optional,
  Options.withDescription(`only this workflow kind: ${workflowKinds.join(", ")}`),
)

/** `--input key=value`, repeatable; a value without `=` is named in the error. */
const InputPair = Schema.String.pipe(
  Schema.filter((text) => /^[^=]+=/.test(text) || "must be key=value, e.g. --input environment=dev"),
)

/** Counts by name, one per line, indented. */
const printCounts = (counts: Readonly<Record<string, number | undefined>>) =>
  Effect.forEach(
    Object.entries(counts),
    ([name, count]) => Console.log(`  ${name.padEnd(18)}${count ?? 0}`),
    {
      discard: true,
    },
  )

/** The variables a group of commands reads, listed under each command's `--help`. */
const storeVariables = [
  "TFPILOT_REQUESTS_BUCKET",
  "RUN_INDEX_DATA_DIR",
  "AWS_REGION",
  "AWS_ENDPOINT_URL_S3",
  "AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
  "RUN_INDEX_S3_CONNECT_TIMEOUT",
  "RUN_INDEX_S3_REQUEST_TIMEOUT",
  "RUN_INDEX_LOCK_WAIT",
  "RUN_INDEX_LOG_FORMAT",
]
const storeWritesVariables = [...storeVariables, "RUN_INDEX_RETENTION_DAYS"]
const githubVariables = [
  "GITHUB_API_URL",
  "GITHUB_TOKEN or GITHUB_APP_ID/GITHUB_APP_PRIVATE_KEY/GITHUB_APP_INSTALLATION_ID",
  "GITHUB_ACTOR",
]
const dispatchingVariables = [
  ...storeWritesVariables,
  ...githubVariables,
  "RUN_INDEX_LANE_WINDOW",
  "RUN_INDEX_LANE_WAIT",
]
const replayingVariables = [
  ...storeVariables,
  "RUN_INDEX_SPOOL_DIR",
  "RUN_INDEX_SPOOL_MAX_DELIVERIES",
  "RUN_INDEX_SPOOL_MAX_BYTES",
]
const recoveringVariables = [...storeVariables, ...githubVariables, "RUN_INDEX_GITHUB_HOOK"]
const sendingVariables = ["GITHUB_WEBHOOK_SECRET", "RUN_INDEX_DATA_DIR", "HOST", "PORT"]
const reconcilingVariables = [...storeVariables, ...githubVariables]
const servingVariables = [
  ...dispatchingVariables,
  "HOST",
  "PORT",
  "RUN_INDEX_API_TOKEN",
  "GITHUB_WEBHOOK_SECRET",
  "RUN_INDEX_GITHUB_HOOK",
  "RUN_INDEX_WEBHOOK_*, RUN_INDEX_REPLAY_INTERVAL, RUN_INDEX_RECOVER_*, RUN_INDEX_SPOOL_*, and the limits (README, Configuration)",
]

const withEnvironment = (variables: ReadonlyArray<string>, description: string) =>
  HelpDoc.blocks([HelpDoc.p(description), HelpDoc.p(`Environment: ${variables.join(", ")}`)])

const put = Command.make("put", { kind, runId, requestId, json }, (input) =>
  Effect.gen(function* () {
    const entry = yield* putRunIndex(input)
    yield* input.json
      ? printJson({ status: "written", entry: entryJson(entry) })
      : Console.log(
          `wrote ${entry.kind} run ${entry.runId} → ${entry.requestId} (expires ${entry.expiresAt})`,
        )
  }),
).pipe(
  Command.withDescription(
    withEnvironment(storeWritesVariables, "write an entry, replacing any existing one (prefer claim)"),
  ),
)

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
).pipe(
  Command.withDescription(
    withEnvironment(storeVariables, "show which request owns a run (exit 3 when missing, 5 when invalid)"),
  ),
)

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
  Command.withDescription(
    withEnvironment(
      storeWritesVariables,
      "assign a run to a request unless another request holds it (exit 4 when it does)",
    ),
  ),
)

const remove = Command.make("delete", { kind, runId, json }, (input) =>
  Effect.gen(function* () {
    const store = yield* RunIndexStore
    yield* store.delete({ kind: input.kind, runId: input.runId })
    yield* input.json
      ? printJson({ status: "deleted", kind: input.kind, runId: input.runId })
      : Console.log(`deleted ${input.kind} run ${input.runId} (if it existed)`)
  }),
).pipe(
  Command.withDescription(
    withEnvironment(storeVariables, "remove an entry; removing a missing entry succeeds"),
  ),
)

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
  Command.withDescription(
    withEnvironment(
      storeVariables,
      "list entries in key order, streaming (--json prints one JSON object per line)",
    ),
  ),
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
).pipe(
  Command.withDescription(
    withEnvironment(
      storeVariables,
      "count entries by kind, expired and invalid; oldest and newest createdAt",
    ),
  ),
)

const printIndexReport = (report: VerifyReport) =>
  Effect.gen(function* () {
    yield* Console.log(`checked ${report.checked}: ${report.valid} valid, ${report.invalid} invalid`)
    yield* printCounts(report.reasons)
    for (const invalid of report.invalidEntries) {
      yield* Console.log(`INVALID ${invalid.path}  ${invalid.reason}: ${invalid.detail}`)
    }
  })

const printCrossCheck = (report: CrossCheckReport) =>
  Effect.gen(function* () {
    yield* Console.log(
      `requests: ${report.requestsChecked} read, ${report.attemptsChecked} attempts with a run id and ` +
        `${report.entriesChecked} entries cross-checked: ${report.problems} problems`,
    )
    yield* printCounts(report.byProblem)
    for (const problem of report.problemList)
      yield* Console.log(`PROBLEM ${problem.problem}  ${problem.detail}`)
  })

const verify = Command.make(
  "verify",
  {
    kind: kindFilter,
    requests: Options.boolean("requests").pipe(
      Options.withDescription(
        "also check each entry against its request document, and each attempt holding a run against its entry",
      ),
    ),
    json,
  },
  (input) =>
    Effect.gen(function* () {
      const entries = progressReporter("verifying entries")
      if (!input.requests) {
        const report = yield* verifyIndex({ ...listOptions(input.kind), onEntry: entries.onEntry }).pipe(
          Effect.ensuring(Effect.sync(entries.done)),
        )
        yield* input.json
          ? printJson({ ...report, consistent: report.invalid === 0 })
          : printIndexReport(report)
        if (report.invalid > 0) return yield* exitWith(ExitCode.Failure)
        return
      }
      const requests = progressReporter("checking requests", "requests")
      const report = yield* verifyIndexAndRequests({
        ...listOptions(input.kind),
        onEntry: entries.onEntry,
        onRequest: requests.onEntry,
      }).pipe(Effect.ensuring(Effect.sync(() => requests.done())))
      const consistent = report.index.invalid === 0 && report.requests.problems === 0
      if (input.json) {
        yield* printJson({ ...report.index, requests: report.requests, consistent })
      } else {
        yield* printIndexReport(report.index)
        yield* printCrossCheck(report.requests)
      }
      if (!consistent) return yield* exitWith(ExitCode.Failure)
    }),
).pipe(
  Command.withDescription(
    withEnvironment(
      storeVariables,
      "check that every entry decodes and matches its key; with --requests, that the index and the request documents agree (exit 1 unless all is consistent)",
    ),
  ),
)

const dryRun = Options.boolean("dry-run").pipe(
  Options.withDescription("report what would change, change nothing"),
)

/**
 * The sweep's progress on stderr, after each listing page: rewritten in place on a terminal, else a
 * line every 10 seconds (a log gets a few lines for a long scan, none for a short one).
 */
const sweepProgress = (label: string) => {
  const interactive = process.stderr.isTTY === true
  let lastLineMillis = 0
  const line = ({ seen, deleted, elapsedMillis }: SweepProgress) =>
    `${label}: ${seen.toLocaleString("en")} entries seen, ${deleted.toLocaleString("en")} deleted, ${(elapsedMillis / 1000).toFixed(1)} s`
  return {
    onPage: (progress: SweepProgress) => {
      if (interactive) {
        process.stderr.write(`\r\x1b[K${line(progress)}`)
      } else if (progress.elapsedMillis - lastLineMillis >= 10_000) {
        lastLineMillis = progress.elapsedMillis
        process.stderr.write(`${line(progress)}\n`)
      }
    },
    done: () => {
      if (interactive) process.stderr.write("\r\x1b[K")
    },
  }
}

const describeSweep = (report: SweepReport): string => {
  const verb = report.dryRun ? "would delete" : "deleted"
  const removed = report.dryRun ? report.expired : report.deleted
  const judged =
    report.mode === "age"
      ? `scanned ${report.scanned} entries by age (written before ${report.writtenBefore}: ${report.retentionDays} days before ${report.cutoff})`
      : `scanned ${report.scanned} entries expiring before ${report.cutoff}`
  return (
    `${report.dryRun ? "dry run: " : ""}${judged}: ` +
    `${report.expired} expired, ${report.kept} kept` +
    (report.mode === "bodies" ? `, ${report.invalid} invalid` : "") +
    `; ${verb} ${removed}` +
    (report.changed > 0 ? `; ${report.changed} rewritten since listed and kept` : "") +
    (report.failed > 0 ? `; ${report.failed} could not be deleted` : "")
  )
}

const sweep = Command.make(
  "sweep",
  {
    kind: kindFilter,
    dryRun,
    before: decodedOption("before", InstantFromIso).pipe(
      Options.optional,
      Options.withDescription(
        "delete entries expiring before this time (ISO-8601, e.g. 2025-01-15T00:00:00Z) instead of before now",
      ),
    ),
    readBodies: Options.boolean("read-bodies").pipe(
      Options.withDescription(
        "judge each entry by the expiresAt in its body (one GET per entry) instead of by age, and report invalid entries",
      ),
    ),
    deleteInvalid: Options.boolean("delete-invalid").pipe(
      Options.withDescription(
        "delete invalid entries too (reads bodies, as --read-bodies); keys not of the index's shape are only reported",
      ),
    ),
    json,
  },
  (input) =>
    Effect.gen(function* () {
      const progress = sweepProgress(input.dryRun ? "sweeping (dry run)" : "sweeping")
      const report = yield* sweepIndex({
        ...listOptions(input.kind),
        readBodies: input.readBodies,
        dryRun: input.dryRun,
        deleteInvalid: input.deleteInvalid,
        onPage: progress.onPage,
        ...Option.match(input.before, { onNone: () => ({}), onSome: (beforeMillis) => ({ beforeMillis }) }),
      }).pipe(Effect.ensuring(Effect.sync(progress.done)))
      if (input.json) {
        yield* printJson(report)
      } else {
        yield* Console.log(describeSweep(report))
        if (report.invalid > 0) {
          yield* Console.log(
            input.deleteInvalid
              ? "invalid entries are deleted with the expired ones (--delete-invalid), keys not of the index's shape excepted:"
              : "invalid entries were kept; look at them with run-index verify, or delete them with --delete-invalid:",
          )
          yield* printCounts(report.invalidReasons)
        }
        for (const invalid of report.invalidEntries) {
          yield* Console.log(`INVALID ${invalid.path}  ${invalid.reason}: ${invalid.detail}`)
        }
        if (report.foreign > 0) {
          yield* Console.log(
            `${report.foreign} ${report.foreign === 1 ? "key is" : "keys are"} not of the index's shape (<kind>/run-<runId>.json) and ${report.foreign === 1 ? "was" : "were"} kept:`,
          )
        }
        for (const path of report.foreignKeys) {
          yield* Console.log(`KEPT    ${path}  not an index key`)
        }
        for (const failure of report.failures) {
          yield* Console.log(`FAILED  ${failure.path}  ${failure.reason}: ${failure.detail}`)
        }
      }
      if (report.failed > 0) return yield* exitWith(ExitCode.Failure)
    }),
).pipe(
  Command.withDescription(
    withEnvironment(
      storeWritesVariables,
      "delete expired entries a listing page at a time, one batched delete per page (for stores without a lifecycle rule): by age as a lifecycle rule does (written more than RUN_INDEX_RETENTION_DAYS ago), or by each body's expiresAt with --read-bodies; exit 1 when some could not be deleted",
    ),
  ),
)

const backfill = Command.make("backfill", { kind: kindFilter, dryRun, json }, (input) =>
  Effect.gen(function* () {
    const progress = progressReporter(input.dryRun ? "backfilling (dry run)" : "backfilling", "requests")
    const report = yield* backfillIndex({
      ...listOptions(input.kind),
      dryRun: input.dryRun,
      onRequest: progress.onEntry,
    }).pipe(Effect.ensuring(Effect.sync(progress.done)))
    if (input.json) {
      yield* printJson(report)
    } else {
      yield* Console.log(
        `${report.dryRun ? "dry run: " : ""}${report.requests} requests, ${report.attemptsWithRunId} attempts with a run id: ` +
          `${report.claimed} ${report.dryRun ? "to claim" : "claimed"}, ${report.alreadyIndexed} already indexed, ` +
          `${report.conflicts} conflicts, ${report.blocked} blocked by invalid entries, ${report.unreadable} unreadable requests`,
      )
      for (const conflict of report.conflictList) {
        yield* Console.log(
          `CONFLICT ${conflict.kind} run ${conflict.runId}: an attempt of ${conflict.requestId} holds it, the entry names ${conflict.owner} (left as it is)`,
        )
      }
      for (const blocked of report.blockedList) {
        yield* Console.log(
          `BLOCKED  ${blocked.kind} run ${blocked.runId} of ${blocked.requestId}: invalid entry ${blocked.reason}: ${blocked.detail}`,
        )
      }
      for (const unreadable of report.unreadableList) {
        yield* Console.log(`UNREADABLE requests/${unreadable.requestId}.json: ${unreadable.detail}`)
      }
    }
    if (report.conflicts + report.blocked + report.unreadable > 0) return yield* exitWith(ExitCode.Failure)
  }),
).pipe(
  Command.withDescription(
    withEnvironment(
      storeWritesVariables,
      "claim an entry for every request attempt that holds a run id without one: the migration step for deployments that predate the index (exit 1 when conflicts remain)",
    ),
  ),
)

const lifecycleShow = Command.make("show", { json }, (input) =>
  Effect.gen(function* () {
    const view = yield* showLifecycle()
    const { configurationAsStored, ruleAsStored } = yield* BucketLifecycle
    if (view._tag === "NotSupported") {
      return yield* input.json
        ? printJson({ status: "not-supported", store: view.store })
        : Console.log(`${notSupported(view.store)}`)
    }
    const rules = Option.match(view.configuration, {
      onNone: () => [],
      onSome: (configuration) => configuration.rules,
    })
    if (input.json) {
      return yield* printJson({
        status: Option.isSome(view.rule) ? "present" : "absent",
        store: view.location,
        runIndexRule: Option.getOrNull(Option.map(view.rule, ruleAsStored)),
        configuration: Option.getOrNull(Option.map(view.configuration, configurationAsStored)),
      })
    }
    yield* Console.log(
      Option.isNone(view.configuration)
        ? `${view.location} has no lifecycle configuration`
        : `${view.location} has ${rules.length} lifecycle rules`,
    )
    yield* Option.match(view.rule, {
      onNone: () =>
        Console.log(
          `no ${lifecycleRuleId} rule: index entries are never deleted; add it with run-index lifecycle apply`,
        ),
      onSome: (rule) => Console.log(`run index rule: ${JSON.stringify(ruleAsStored(rule))}`),
    })
    for (const rule of rules.filter((each) => !isRunIndexRule(each))) {
      yield* Console.log(`other rule:     ${JSON.stringify(ruleAsStored(rule))}`)
    }
  }),
).pipe(
  Command.withDescription(
    withEnvironment(storeVariables, "show the bucket's lifecycle configuration and the run index rule in it"),
  ),
)

const notSupported = (store: string) =>
  `lifecycle rules do not apply to ${store}; delete expired entries with run-index sweep (e.g. daily from cron)`

const lifecycleApply = Command.make(
  "apply",
  {
    days: decodedOption("days", Schema.compose(Schema.NumberFromString, LifecycleDays)).pipe(
      Options.withDefault(defaultLifecycleDays),
      Options.withDescription(
        `expire entries this many days after they were written (default ${defaultLifecycleDays}: a little longer than the retention)`,
      ),
    ),
    dryRun: Options.boolean("dry-run").pipe(
      Options.withDescription("print the configuration that would be written, write nothing"),
    ),
    json,
  },
  (input) =>
    Effect.gen(function* () {
      const applied = yield* applyLifecycle({ days: input.days, dryRun: input.dryRun })
      const { configurationAsStored } = yield* BucketLifecycle
      if (applied._tag === "NotSupported") {
        yield* input.json
          ? printJson({ status: "not-supported", store: applied.store })
          : Console.error(notSupported(applied.store))
        return yield* exitWith(ExitCode.Failure)
      }
      const warnings = [
        ...(applied.overlapping.length === 0
          ? []
          : [
              `other enabled rules also expire ${runIndexPrefix}: ${applied.overlapping.join(", ")} (S3 applies the earliest)`,
            ]),
        ...(applied.shorterThanRetention
          ? [
              `${input.days} days is shorter than the retention: entries would be deleted before their expiresAt`,
            ]
          : []),
      ]
      if (input.json) {
        return yield* printJson({
          status: applied.change,
          store: applied.location,
          written: applied.written,
          dryRun: input.dryRun,
          configuration: configurationAsStored(applied.configuration),
          warnings,
        })
      }
      const kept = applied.configuration.rules.length - 1
      const summary =
        applied.change === "unchanged"
          ? `the ${lifecycleRuleId} rule is already up to date (${input.days} days); nothing written`
          : `${input.dryRun ? "would have " : ""}${applied.change} the ${lifecycleRuleId} rule: expire ${runIndexPrefix} after ${input.days} days; ${kept} other rules kept as they were`
      yield* Console.log(`${applied.location}: ${summary}`)
      for (const warning of warnings) yield* Console.error(`warning: ${warning}`)
      if (input.dryRun && applied.change !== "unchanged") {
        yield* Console.log("configuration that would be written:")
        yield* Console.log(JSON.stringify(configurationAsStored(applied.configuration), null, 2))
      }
    }),
).pipe(
  Command.withDescription(
    withEnvironment(
      storeVariables,
      "add or update the rule that expires index entries, merged into the bucket's lifecycle configuration (other rules kept)",
    ),
  ),
)

const lifecycle = Command.make("lifecycle").pipe(
  Command.withDescription("the bucket lifecycle rule that deletes old index entries"),
  Command.withSubcommands([lifecycleShow, lifecycleApply]),
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

const dispatch = Command.make(
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

/** Lists parked deliveries or dead letters, an unreadable object as such; says so when there are none. */
const listKept =
  (choose: (log: DeliveryLog["Type"]) => DeliveryLog["Type"]["parked"], none: string) =>
  (input: { readonly json: boolean }) =>
    Effect.gen(function* () {
      const log = yield* DeliveryLog
      let listed = 0
      yield* choose(log).pipe(
        Stream.tap(() => Effect.sync(() => (listed += 1))),
        Stream.runForEach((entry) => {
          if (entry._tag === "Unreadable") {
            return input.json
              ? printJson({
                  deliveryId: entry.deliveryId,
                  unreadable: true,
                  path: entry.path,
                  reason: entry.reason,
                })
              : Console.log(`${entry.deliveryId}  UNREADABLE  ${entry.path}  ${entry.reason}`)
          }
          return input.json
            ? printJson({
                deliveryId: entry.deliveryId,
                event: entry.headers["x-github-event"] ?? null,
                reason: entry.reason,
                parkedAt: entry.parkedAt,
                attempts: entry.attempts,
              })
            : Console.log(
                `${entry.deliveryId}  ${entry.parkedAt}  attempts ${entry.attempts}  ${entry.reason}`,
              )
        }),
      )
      // Scripts (--json) read one object per line: nothing parked is no line at all.
      if (listed === 0 && !input.json) yield* Console.error(none)
    })

const listParked = listKept((log) => log.parked, "no parked deliveries")

const listParkedDescription =
  "list webhook deliveries that could not be processed, and parked objects that cannot be read (UNREADABLE, with path and reason; --json: one object per line)"
const parkedList = Command.make("ls", { json }, listParked).pipe(
  Command.withDescription(withEnvironment(storeVariables, listParkedDescription)),
)
const parked = Command.make("parked", { json }, listParked).pipe(
  Command.withDescription(withEnvironment(storeVariables, `${listParkedDescription}; the same as ls`)),
)

const dead = Command.make(
  "dead",
  { json },
  listKept((log) => log.deadLetters, "no dead letters"),
).pipe(
  Command.withDescription(
    withEnvironment(
      storeVariables,
      "list dead letters: deliveries that can never succeed as they are (an invalid request document), kept whole and answered 2xx; repair the cause, then send them again (--json: one object per line)",
    ),
  ),
)

const replay = Command.make(
  "replay",
  {
    json,
    id: decodedOption("id", DeliveryId).pipe(
      Options.optional,
      Options.withDescription("replay only this delivery (its X-GitHub-Delivery id)"),
    ),
  },
  (input) =>
    Effect.gen(function* () {
      const deliveryId = Option.getOrUndefined(input.id)
      const result = yield* replayParked(deliveryId === undefined ? {} : { deliveryId })
      yield* input.json
        ? printJson(result)
        : Console.log(
            `replayed ${result.replayed}; still parked ${result.stillParked}${result.unreadable > 0 ? `; unreadable ${result.unreadable} (left in place: deliveries ls shows them, deliveries drop removes one)` : ""}`,
          )
      if (deliveryId !== undefined && result.replayed + result.stillParked + result.unreadable === 0) {
        yield* Console.error(`run-index: no parked delivery ${deliveryId}`)
        return yield* exitWith(ExitCode.NotFound)
      }
      if (result.stillParked + result.unreadable > 0) return yield* exitWith(ExitCode.Failure)
    }),
).pipe(
  Command.withDescription(
    withEnvironment(
      replayingVariables,
      "process parked deliveries again (all, or --id one); exit 1 while any stays parked or unreadable, 3 when --id is not parked",
    ),
  ),
)

const drop = Command.make("drop", { id: decodedArg("deliveryId", DeliveryId) }, (input) =>
  Effect.gen(function* () {
    const log = yield* DeliveryLog
    const found = yield* log.parked.pipe(
      Stream.filter((entry) => entry.deliveryId === input.id),
      Stream.runHead,
    )
    if (Option.isNone(found)) {
      yield* Console.error(`run-index: no parked delivery ${input.id}`)
      return yield* exitWith(ExitCode.NotFound)
    }
    yield* log.unpark(input.id)
    yield* Console.log(
      `dropped ${input.id}${found.value._tag === "Unreadable" ? ` (unreadable: ${found.value.reason})` : ""}`,
    )
  }),
).pipe(
  Command.withDescription(
    withEnvironment(
      storeVariables,
      "remove one parked delivery or unreadable parked object without replaying it (exit 3 when there is none)",
    ),
  ),
)

/** `--since`: an ISO time, or a duration back from now (`6 hours`). */
const SinceFromString = Schema.Union(
  InstantFromIso,
  Schema.transformOrFail(Schema.String, Schema.Number, {
    strict: true,
    decode: (text, _, ast) =>
      Option.match(Duration.decodeUnknown(text.trim()), {
        onNone: () =>
          ParseResult.fail(
            new ParseResult.Type(ast, text, "must be an ISO-8601 time or a duration such as 6 hours"),
          ),
        onSome: (ago) => ParseResult.succeed(Date.now() - Duration.toMillis(ago)),
      }),
    encode: (millis) => ParseResult.succeed(new Date(millis).toISOString()),
  }),
)

const recover = Command.make(
  "recover",
  {
    since: decodedOption("since", SinceFromString).pipe(
      Options.withDefault(Date.now() - Duration.toMillis(Duration.hours(1))),
      Options.withDescription(
        "deliveries first sent since this time: ISO-8601 (2026-12-01T09:00:00Z) or a duration back from now (6 hours); default 1 hour",
      ),
    ),
    json,
  },
  (input) =>
    Effect.gen(function* () {
      const report = yield* recoverDeliveries({ since: input.since }).pipe(
        Effect.catchTag("GatewayError", (error) =>
          Console.error(`run-index: ${error.message}`).pipe(
            Effect.zipRight(exitWith(error.reason === "NotConfigured" ? ExitCode.Usage : ExitCode.Failure)),
          ),
        ),
      )
      yield* input.json
        ? printJson(report)
        : Console.log(
            `since ${new Date(input.since).toISOString()}: ${report.listed} delivery attempts listed, ${report.failed} deliveries failed, ${report.alreadyProcessed} of them processed since, ${report.redelivered} redelivered, ${report.refused.length} refused`,
          )
      for (const refusal of report.refused)
        if (!input.json) yield* Console.error(`REFUSED ${refusal.guid}: ${refusal.detail}`)
      if (report.refused.length > 0) return yield* exitWith(ExitCode.Failure)
    }),
).pipe(
  Command.withDescription(
    withEnvironment(
      recoveringVariables,
      "ask GitHub which deliveries of RUN_INDEX_GITHUB_HOOK failed since --since and have them redelivered (exit 1 when GitHub refused some, 2 when not configured)",
    ),
  ),
)

const deliveries = Command.make("deliveries").pipe(
  Command.withDescription("parked webhook deliveries, and failed ones recovered from GitHub"),
  Command.withSubcommands([parkedList, parked, dead, replay, drop, recover]),
)

/** GitHub's event names (`workflow_run`, `ping`, `push`, …): lower-case words joined by underscores. */
const WebhookEvent = Schema.String.pipe(
  Schema.pattern(/^[a-z]+(_[a-z]+)*$/, { message: () => "must be a GitHub event name such as workflow_run" }),
)
const WebhookUrl = Schema.URL.pipe(
  Schema.filter((url) => url.protocol === "http:" || url.protocol === "https:" || "must be an http(s) URL"),
)
const payloadFile = Options.file("file").pipe(
  Options.withDescription("the payload to send, a JSON file (sent byte for byte, as signed)"),
  Options.mapEffect((path) =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const text = yield* fs
        .readFileString(path)
        .pipe(
          Effect.mapError((error) =>
            ValidationError.invalidValue(
              HelpDoc.p(
                `--file ${path}: cannot be read (${error._tag === "SystemError" ? error.reason : error.message})`,
              ),
            ),
          ),
        )
      yield* Schema.decodeUnknown(Schema.parseJson())(text).pipe(
        Effect.mapError((error) =>
          ValidationError.invalidValue(HelpDoc.p(`--file ${path}: not JSON: ${describeParseError(error)}`)),
        ),
      )
      return text
    }),
  ),
)

const send = Command.make(
  "send",
  {
    event: decodedOption("event", WebhookEvent).pipe(
      Options.withDescription("the X-GitHub-Event header, e.g. workflow_run or ping"),
    ),
    body: payloadFile,
    url: decodedOption("url", WebhookUrl).pipe(
      Options.optional,
      Options.withDescription("where to post (default http://HOST:PORT/webhooks/github)"),
    ),
    delivery: decodedOption("delivery", DeliveryId).pipe(
      Options.optional,
      Options.withDescription(
        "the X-GitHub-Delivery header (default a random UUID); reuse one to see a duplicate",
      ),
    ),
    json,
  },
  (input) =>
    Effect.gen(function* () {
      const [WebhookSend, FetchHttpClient] = yield* Effect.promise(() =>
        Promise.all([import("./WebhookSend.js"), import("@effect/platform/FetchHttpClient")]),
      )
      const url = yield* Option.match(input.url, {
        onNone: () => WebhookSend.defaultWebhookUrl,
        onSome: (given) => Effect.succeed(given.href),
      })
      const deliveryId = Option.getOrElse(input.delivery, () => randomUUID())
      const answer = yield* WebhookSend.sendWebhook({
        url,
        event: input.event,
        deliveryId,
        body: input.body,
      }).pipe(Effect.provide(FetchHttpClient.layer))
      yield* input.json
        ? printJson({ deliveryId, url, status: answer.status, body: WebhookSend.answerBody(answer) })
        : Console.log(`${answer.status} from ${url} (delivery ${deliveryId})\n${answer.text}`)
      if (answer.status < 200 || answer.status > 299) return yield* exitWith(ExitCode.Failure)
    }),
).pipe(
  Command.withDescription(
    withEnvironment(
      sendingVariables,
      "sign a payload with the webhook secret (GITHUB_WEBHOOK_SECRET, else the service's generated one) and post it as GitHub would; exit 1 unless the answer is 2xx",
    ),
  ),
)

const webhook = Command.make("webhook").pipe(
  Command.withDescription("talk to the service's webhook endpoint by hand"),
  Command.withSubcommands([send]),
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
    withEnvironment(
      reconcilingVariables,
      "ask GitHub for the run of every attempt that holds one and is not completed, and apply it as its webhook would (exit 1 when any check failed)",
    ),
  ),
)

const serve = Command.make("serve", {}, () =>
  Effect.flatMap(
    Effect.promise(() => import("../http/Server.js")),
    (Server) => Layer.launch(Server.layer),
  ),
).pipe(
  Command.withDescription(
    withEnvironment(servingVariables, "run the HTTP service on HOST:PORT (default 127.0.0.1:8787)"),
  ),
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
    sweep,
    backfill,
    lifecycle,
    dispatch,
    deliveries,
    reconcile,
    webhook,
    simulate,
    serve,
  ]),
)

export const run = Command.run(command, { name: "run-index", version: "0.1.0" })
