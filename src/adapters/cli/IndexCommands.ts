import { Command, Options } from "@effect/cli"
import { InstantFromIso } from "../../domain/Timestamp.js"
import { storeVariables, storeWritesVariables, withEnvironment } from "./Environment.js"
import { decodedOption, dryRun, json, kind, kindFilter, requestId, runId, runLoaded } from "./Inputs.js"

/** The run index's entries: one at a time (EntryHandlers), or the whole index (ScanHandlers). */
const entries = () => import("./EntryHandlers.js")
const scans = () => import("./ScanHandlers.js")

const put = Command.make("put", { kind, runId, requestId, json }, (input) =>
  runLoaded(entries, (handlers) => handlers.put(input)),
).pipe(
  Command.withDescription(
    withEnvironment(storeWritesVariables, "write an entry, replacing any existing one (prefer claim)"),
  ),
)

const get = Command.make("get", { kind, runId, json }, (input) =>
  runLoaded(entries, (handlers) => handlers.get(input)),
).pipe(
  Command.withDescription(
    withEnvironment(storeVariables, "show which request owns a run (exit 3 when missing, 5 when invalid)"),
  ),
)

const claim = Command.make("claim", { kind, runId, requestId, json }, (input) =>
  runLoaded(entries, (handlers) => handlers.claim(input)),
).pipe(
  Command.withDescription(
    withEnvironment(
      storeWritesVariables,
      "assign a run to a request unless another request holds it (exit 4 when it does)",
    ),
  ),
)

const remove = Command.make("delete", { kind, runId, json }, (input) =>
  runLoaded(entries, (handlers) => handlers.remove(input)),
).pipe(
  Command.withDescription(
    withEnvironment(storeVariables, "remove an entry; removing a missing entry succeeds"),
  ),
)

const ls = Command.make("ls", { kind: kindFilter, json }, (input) =>
  runLoaded(entries, (handlers) => handlers.ls(input)),
).pipe(
  Command.withDescription(
    withEnvironment(
      storeVariables,
      "list entries in key order, streaming (--json prints one JSON object per line)",
    ),
  ),
)

const stats = Command.make("stats", { kind: kindFilter, json }, (input) =>
  runLoaded(scans, (handlers) => handlers.stats(input)),
).pipe(
  Command.withDescription(
    withEnvironment(
      storeVariables,
      "count entries by kind, expired and invalid; oldest and newest createdAt",
    ),
  ),
)

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
  (input) => runLoaded(scans, (handlers) => handlers.verify(input)),
).pipe(
  Command.withDescription(
    withEnvironment(
      storeVariables,
      "check that every entry decodes and matches its key; with --requests, that the index and the request documents agree (exit 1 unless all is consistent)",
    ),
  ),
)

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
  (input) => runLoaded(scans, (handlers) => handlers.sweep(input)),
).pipe(
  Command.withDescription(
    withEnvironment(
      storeWritesVariables,
      "delete expired entries a listing page at a time, one batched delete per page (for stores without a lifecycle rule): by age as a lifecycle rule does (written more than RUN_INDEX_RETENTION_DAYS ago), or by each body's expiresAt with --read-bodies; exit 1 when some could not be deleted",
    ),
  ),
)

const backfill = Command.make("backfill", { kind: kindFilter, dryRun, json }, (input) =>
  runLoaded(scans, (handlers) => handlers.backfill(input)),
).pipe(
  Command.withDescription(
    withEnvironment(
      storeWritesVariables,
      "claim an entry for every request attempt that holds a run id without one: the migration step for deployments that predate the index (exit 1 when conflicts remain)",
    ),
  ),
)

/** The index group, in the order the root's help lists them. */
export const indexCommands = [put, get, claim, remove, ls, stats, verify, sweep, backfill] as const
