import { Console, Data, Effect } from "effect"
import { encodeEntry, type RunIndexEntry } from "../../domain/RunIndexEntry.js"

/** Ends the command with this process exit code, after its output was printed. */
export class ExitWith extends Data.TaggedError("ExitWith")<{ readonly code: number }> {}

export const ExitCode = {
  Success: 0,
  Failure: 1,
  Usage: 2,
  NotFound: 3,
  ClaimedByOther: 4,
  InvalidEntry: 5,
} as const

export const printJson = (value: unknown) => Console.log(JSON.stringify(value))

/** The entry as stored: its exact bytes, so scripts see what the bucket holds. */
export const entryJson = (entry: RunIndexEntry) => JSON.parse(encodeEntry(entry)) as unknown

export const exitWith = (code: number) => Effect.fail(new ExitWith({ code }))

/** Counts by name, one per line, indented. */
export const printCounts = (counts: Readonly<Record<string, number | undefined>>) =>
  Effect.forEach(
    Object.entries(counts),
    ([name, count]) => Console.log(`  ${name.padEnd(18)}${count ?? 0}`),
    {
      discard: true,
    },
  )

export const entryLine = (entry: RunIndexEntry) =>
  [
    entry.kind.padEnd(10),
    String(entry.runId).padStart(12),
    entry.requestId.padEnd(32),
    entry.createdAt,
    entry.expiresAt,
  ].join("  ")

export const entryHeader = [
  "KIND".padEnd(10),
  "RUN ID".padStart(12),
  "REQUEST ID".padEnd(32),
  "CREATED AT".padEnd(24),
  "EXPIRES AT",
].join("  ")

/** Progress for long scans on an interactive stderr, every 1,000 items; silent when piped. */
export const progressReporter = (label: string, unit = "entries") => {
  const interactive = process.stderr.isTTY === true
  return {
    onEntry: (seen: number) => {
      if (interactive && seen % 1000 === 0)
        process.stderr.write(`\r\x1b[K${label}: ${seen.toLocaleString("en")} ${unit}`)
    },
    done: () => {
      if (interactive) process.stderr.write("\r\x1b[K")
    },
  }
}
