import { Console, Effect, Option } from "effect"
import { type WorkflowKind, workflowKinds } from "../../domain/WorkflowKind.js"
import { backfillIndex } from "../../programs/Backfill.js"
import {
  type CrossCheckReport,
  indexStats,
  type VerifyReport,
  verifyIndex,
  verifyIndexAndRequests,
} from "../../programs/Inspection.js"
import { type SweepProgress, type SweepReport, sweepIndex } from "../../programs/Sweep.js"
import { listOptions } from "./Inputs.js"
import { ExitCode, exitWith, printCounts, printJson, progressReporter } from "./Output.js"

interface ScanInput {
  readonly kind: Option.Option<WorkflowKind>
  readonly json: boolean
}

export const stats = (input: ScanInput) =>
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
  })

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

export const verify = (input: ScanInput & { readonly requests: boolean }) =>
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
  })

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

export const sweep = (
  input: ScanInput & {
    readonly dryRun: boolean
    readonly before: Option.Option<number>
    readonly readBodies: boolean
    readonly deleteInvalid: boolean
  },
) =>
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
  })

export const backfill = (input: ScanInput & { readonly dryRun: boolean }) =>
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
  })
