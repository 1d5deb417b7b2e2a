import { Console, Effect, type Option, Stream } from "effect"
import type { RunId } from "../../domain/RunId.js"
import type { WorkflowKind } from "../../domain/WorkflowKind.js"
import { RunIndexStore } from "../../ports/RunIndexStore.js"
import { claimRun, getRequestIdByRunId, putRunIndex, type RunMapping } from "../../programs/RunIndex.js"
import { listOptions } from "./Inputs.js"
import { ExitCode, entryHeader, entryJson, entryLine, exitWith, printJson } from "./Output.js"

interface EntryInput {
  readonly kind: WorkflowKind
  readonly runId: RunId
  readonly json: boolean
}

export const put = (input: RunMapping & { readonly json: boolean }) =>
  Effect.gen(function* () {
    const entry = yield* putRunIndex(input)
    yield* input.json
      ? printJson({ status: "written", entry: entryJson(entry) })
      : Console.log(
          `wrote ${entry.kind} run ${entry.runId} → ${entry.requestId} (expires ${entry.expiresAt})`,
        )
  })

export const get = (input: EntryInput) =>
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
  })

export const claim = (input: RunMapping & { readonly json: boolean }) =>
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
  })

export const remove = (input: EntryInput) =>
  Effect.gen(function* () {
    const store = yield* RunIndexStore
    yield* store.delete({ kind: input.kind, runId: input.runId })
    yield* input.json
      ? printJson({ status: "deleted", kind: input.kind, runId: input.runId })
      : Console.log(`deleted ${input.kind} run ${input.runId} (if it existed)`)
  })

export const ls = (input: { readonly kind: Option.Option<WorkflowKind>; readonly json: boolean }) =>
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
  })
