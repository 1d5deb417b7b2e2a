import { spawn } from "node:child_process"
import { once } from "node:events"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3"
import { Effect, Layer, ManagedRuntime } from "effect"
import * as ObjectRunIndexStore from "../src/adapters/ObjectRunIndexStore.js"
import * as MemoryObjectStore from "../src/adapters/objects/MemoryObjectStore.js"
import { ObjectStore, WriteCondition } from "../src/adapters/objects/ObjectStore.js"
import * as S3ClientLayer from "../src/adapters/objects/S3Client.js"
import * as S3ObjectStore from "../src/adapters/objects/S3ObjectStore.js"
import { encodeEntry, type RunIndexEntry } from "../src/domain/RunIndexEntry.js"
import { keyPath } from "../src/domain/RunIndexKey.js"
import { workflowKinds } from "../src/domain/WorkflowKind.js"
import { type SweepReport, sweepIndex } from "../src/programs/Sweep.js"
import { callsPerThousand, countingObjectStore, emptyCalls } from "../test/support/countingObjectStore.js"
import { entry } from "../test/support/fixtures.js"
import { countS3Calls } from "../test/support/s3Calls.js"
import { median, promisePool } from "./measure.js"
import { withMoto } from "./moto.js"
import { formatNumber, renderTable } from "./output.js"

export interface RetentionOptions {
  /** Expired entries planted and swept per round and mode on the memory store. */
  readonly memoryEntries: number
  /** Expired entries planted and swept per round and mode on moto (which serves ~100–500 requests a second). */
  readonly motoEntries: number
  readonly rounds: number
  /** Entries in the large sweeps whose memory is measured, each in a child process. */
  readonly scanEntries: number
  readonly progress: (line: string) => void
}

export const defaultRetentionOptions: Omit<RetentionOptions, "progress"> = {
  memoryEntries: 50_000,
  motoEntries: 2_000,
  rounds: 3,
  scanEntries: 1_000_000,
}

export const callsTarget = 2
export const rssTargetMb = 300

/** Store calls per 1,000 entries swept, by call. */
export interface CallsPerThousand {
  readonly list: number
  readonly get: number
  readonly deleteMany: number
  readonly total: number
}

export interface SweepFigures {
  /** Median over rounds of entries swept (listed, found expired and deleted) per second. */
  readonly entriesPerSecond: number
  readonly roundRates: ReadonlyArray<number>
  readonly entriesPerRound: number
  readonly callsPerThousand: CallsPerThousand
}

/** One store's figures, by age and reading bodies, measured in interleaved rounds. */
export interface ModeFigures {
  readonly byAge: SweepFigures
  readonly readingBodies: SweepFigures
}

export interface ScanFigures {
  readonly mode: "generated-age" | "generated-bodies" | "directory-age"
  readonly entries: number
  readonly deleted: number
  readonly seconds: number
  readonly entriesPerSecond: number
  readonly rssBeforeScanMb: number
  readonly peakRssDuringScanMb: number
  readonly scanGrowthMb: number
  /** The process's high-water mark (`ru_maxrss`), start-up and module loading included. */
  readonly maxRssMb: number
  /** Heap in use after a full collection before the sweep, and how much more after it. */
  readonly heapBeforeScanMb: number
  readonly heapRetainedMb: number
  /** `--max-old-space-size` the child ran with: the sweep finished within it. */
  readonly maxOldSpaceMb: number | null
}

export interface RetentionSection {
  readonly memory: ModeFigures
  readonly moto: ModeFigures
  readonly callsTarget: number
  /** By age, every store call counted, on memory and moto. */
  readonly meetsCallsTarget: boolean
  /** By age over the directory store holding the entries as files: every one listed and deleted. */
  readonly directoryByAge: ScanFigures
  /** By age over a store that makes entries up as they are listed: the sweep's own memory. */
  readonly generatedByAge: ScanFigures
  /** The same with the old space capped at 64 MB: it still finishes. */
  readonly generatedByAgeUnderHeapCap: ScanFigures
  /** Reading every body, over the same generated store. */
  readonly generatedReadingBodies: ScanFigures
  readonly rssTargetMb: number
  /** The directory sweep's high-water mark, start-up included, under the target. */
  readonly meetsRssTarget: boolean
}

const day = 86_400_000

/** Round `round`'s entries: all expired by body (`expiresAt` 2025-04-15), kinds in turn, run ids unique. */
const expiredEntries = (round: number, count: number): ReadonlyArray<RunIndexEntry> =>
  Array.from({ length: count }, (_, index) =>
    entry(
      workflowKinds[index % workflowKinds.length]!,
      (round + 1) * 10_000_000 + index,
      `req_sweep_${index}`,
      "2025-01-15T10:00:00.000Z",
      "2025-04-15T10:00:00.000Z",
    ),
  )

/** Sweeps run 100 days from now: every entry just planted is expired by age and by body. */
const sweepInstant = () => Date.now() + 100 * day

const checkSwept = (report: SweepReport, count: number) => {
  if (report.scanned !== count || report.deleted !== count || report.failed !== 0) {
    throw new Error(`a round swept ${report.deleted} of ${report.scanned} entries, not ${count} of ${count}`)
  }
}

const round3 = (value: number) => Math.round(value * 1000) / 1000

const elapsedSeconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9

type Mode = "byAge" | "readingBodies"
const modes: ReadonlyArray<Mode> = ["byAge", "readingBodies"]

const figuresOf = (
  rates: ReadonlyArray<number>,
  entriesPerRound: number,
  callsPerThousand: CallsPerThousand,
): SweepFigures => ({
  entriesPerSecond: Math.round(median(rates)),
  roundRates: rates.map(Math.round),
  entriesPerRound,
  callsPerThousand,
})

/** Each round, each mode on a fresh memory store: plant, then time the sweep, counting store calls. */
const onMemory = async (options: RetentionOptions): Promise<ModeFigures> => {
  const rates: Record<Mode, Array<number>> = { byAge: [], readingBodies: [] }
  const perThousand: Partial<Record<Mode, CallsPerThousand>> = {}
  for (let round = 0; round < options.rounds; round += 1) {
    for (const mode of modes) {
      const calls = emptyCalls()
      const runtime = ManagedRuntime.make(
        ObjectRunIndexStore.layer.pipe(
          Layer.provideMerge(countingObjectStore(calls).pipe(Layer.provide(MemoryObjectStore.layerMemory))),
        ),
      )
      try {
        const planted = expiredEntries(round, options.memoryEntries)
        await runtime.runPromise(
          Effect.flatMap(ObjectStore, (objects) =>
            Effect.forEach(
              planted,
              (each) => objects.put(keyPath(each), encodeEntry(each), WriteCondition.Always()),
              { discard: true },
            ),
          ),
        )
        Object.assign(calls, emptyCalls())
        const started = process.hrtime.bigint()
        const report = await runtime.runPromise(
          sweepIndex({ beforeMillis: sweepInstant(), readBodies: mode === "readingBodies" }),
        )
        const seconds = elapsedSeconds(started)
        checkSwept(report, options.memoryEntries)
        rates[mode].push(options.memoryEntries / seconds)
        perThousand[mode] = callsPerThousand(calls, options.memoryEntries)
        options.progress(
          `memory round ${round + 1}, ${mode}: ${formatNumber(options.memoryEntries / seconds)} entries/s`,
        )
      } finally {
        await runtime.dispose()
      }
    }
  }
  return {
    byAge: figuresOf(rates.byAge, options.memoryEntries, perThousand.byAge!),
    readingBodies: figuresOf(rates.readingBodies, options.memoryEntries, perThousand.readingBodies!),
  }
}

const bucket = "run-index-bench-retention"

/** Planted with the bare SDK (the write path is not measured), swept through the adapter, both modes in turn. */
const onMoto = async (endpoint: string, options: RetentionOptions): Promise<ModeFigures> => {
  const client = S3ClientLayer.layer({ endpoint, region: "us-east-1" })
  const runtime = ManagedRuntime.make(
    ObjectRunIndexStore.layer.pipe(
      Layer.provideMerge(S3ObjectStore.layer({ bucket })),
      Layer.provideMerge(client),
    ),
  )
  try {
    const sdk: S3Client = await runtime.runPromise(S3ClientLayer.S3ClientService)
    await sdk.send(new CreateBucketCommand({ Bucket: bucket }))
    const rates: Record<Mode, Array<number>> = { byAge: [], readingBodies: [] }
    const perThousand: Partial<Record<Mode, CallsPerThousand>> = {}
    for (let round = 0; round < options.rounds; round += 1) {
      for (const [modeIndex, mode] of modes.entries()) {
        const planted = expiredEntries(round * modes.length + modeIndex, options.motoEntries)
        options.progress(`moto round ${round + 1}, ${mode}: planting ${planted.length} entries`)
        await promisePool(planted.length, 32, (index) =>
          sdk.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: keyPath(planted[index]!),
              Body: encodeEntry(planted[index]!),
            }),
          ),
        )
        const calls = countS3Calls(sdk)
        const started = process.hrtime.bigint()
        const report = await runtime.runPromise(
          sweepIndex({ beforeMillis: sweepInstant(), readBodies: mode === "readingBodies" }),
        )
        const seconds = elapsedSeconds(started)
        // The middleware stays on the client; only this sweep's calls are counted below.
        sdk.middlewareStack.remove("countS3Calls")
        checkSwept(report, options.motoEntries)
        rates[mode].push(options.motoEntries / seconds)
        const per = (count: number) => round3((count / options.motoEntries) * 1000)
        const [list, get, deleteMany] = [
          calls.count("ListObjectsV2Command"),
          calls.count("GetObjectCommand"),
          calls.count("DeleteObjectsCommand"),
        ]
        perThousand[mode] = {
          list: per(list),
          get: per(get),
          deleteMany: per(deleteMany),
          total: per(calls.sent.length),
        }
        options.progress(
          `moto round ${round + 1}, ${mode}: ${formatNumber(options.motoEntries / seconds)} entries/s, ${calls.sent.length} calls`,
        )
      }
    }
    return {
      byAge: figuresOf(rates.byAge, options.motoEntries, perThousand.byAge!),
      readingBodies: figuresOf(rates.readingBodies, options.motoEntries, perThousand.readingBodies!),
    }
  } finally {
    await runtime.dispose()
  }
}

/** The old-space cap that shows the bound: the generated sweep must fit everything it holds in it. */
const heapCapMb = 64

/**
 * `bench/retentionScan.ts` in a child process (same Node, same tsx loader, `--expose-gc`),
 * optionally under an old-space cap.
 */
const scanInChild = async (
  mode: "generated-age" | "generated-bodies" | "directory-age" | "plant-directory",
  entries: number,
  options: { readonly heapCapMb?: number; readonly directory?: string } = {},
): Promise<ScanFigures> => {
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      "--expose-gc",
      ...(options.heapCapMb === undefined ? [] : [`--max-old-space-size=${options.heapCapMb}`]),
      join(import.meta.dirname, "retentionScan.ts"),
      mode,
      String(entries),
      ...(options.directory === undefined ? [] : [options.directory]),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  )
  let output = ""
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8")
  })
  const [code] = (await once(child, "exit")) as [number | null]
  if (code !== 0) throw new Error(`the ${mode} scan exited with ${code}`)
  return JSON.parse(output) as ScanFigures
}

/** The directory store's sweep over `entries` real files, planted by another child first. */
const directoryScan = async (entries: number, progress: (line: string) => void): Promise<ScanFigures> => {
  const directory = await mkdtemp(join(tmpdir(), "run-index-bench-sweep-"))
  try {
    const started = process.hrtime.bigint()
    await scanInChild("plant-directory", entries, { directory })
    progress(
      `scan: planted ${formatNumber(entries)} files in ${elapsedSeconds(started).toFixed(0)} s; sweeping them by age`,
    )
    return await scanInChild("directory-age", entries, { directory })
  } finally {
    await rm(directory, { recursive: true, force: true })
  }
}

/** Entries swept per second and store calls per 1,000 on memory and moto, both modes; memory of large sweeps. */
export const retention = async (options: RetentionOptions): Promise<RetentionSection> => {
  options.progress(
    `memory: ${options.rounds} rounds of ${formatNumber(options.memoryEntries)} expired entries, each mode`,
  )
  const memory = await onMemory(options)
  options.progress("moto: starting python3 -m moto.server")
  const moto = await withMoto((server) => onMoto(server.url, options))
  options.progress(`scan: ${formatNumber(options.scanEntries)} generated entries by age in a child process`)
  const generatedByAge = await scanInChild("generated-age", options.scanEntries)
  options.progress(`scan: again with the heap capped at ${heapCapMb} MB`)
  const generatedByAgeUnderHeapCap = await scanInChild("generated-age", options.scanEntries, { heapCapMb })
  options.progress(`scan: ${formatNumber(options.scanEntries)} generated entries, reading bodies`)
  const generatedReadingBodies = await scanInChild("generated-bodies", options.scanEntries)
  options.progress(`scan: planting ${formatNumber(options.scanEntries)} files for the directory store`)
  const directoryByAge = await directoryScan(options.scanEntries, options.progress)
  return {
    memory,
    moto,
    callsTarget,
    meetsCallsTarget:
      Math.max(memory.byAge.callsPerThousand.total, moto.byAge.callsPerThousand.total) <= callsTarget,
    directoryByAge,
    generatedByAge,
    generatedByAgeUnderHeapCap,
    generatedReadingBodies,
    rssTargetMb,
    // The process's high-water mark, start-up included: the stricter of the two peaks.
    meetsRssTarget: Math.max(directoryByAge.maxRssMb, directoryByAge.peakRssDuringScanMb) < rssTargetMb,
  }
}

const verdict = (meets: boolean) => (meets ? "met" : "MISSED")

/** The section as tables for people. */
export const renderRetention = (section: RetentionSection): string => {
  const sweepRow = (label: string, figures: SweepFigures) =>
    [
      label,
      formatNumber(figures.entriesPerSecond),
      figures.roundRates.map((rate) => formatNumber(rate)).join(" "),
      formatNumber(figures.callsPerThousand.list, 1),
      formatNumber(figures.callsPerThousand.get, 0),
      formatNumber(figures.callsPerThousand.deleteMany, 1),
      formatNumber(figures.callsPerThousand.total, 1),
    ] as const
  const sweeps = renderTable(
    ["store, mode", "entries/s", "each round", "list", "get", "batch delete", "all calls"],
    [
      sweepRow(
        `memory by age (${formatNumber(section.memory.byAge.entriesPerRound)} a round)`,
        section.memory.byAge,
      ),
      sweepRow("memory reading bodies", section.memory.readingBodies),
      sweepRow(
        `moto by age (${formatNumber(section.moto.byAge.entriesPerRound)} a round)`,
        section.moto.byAge,
      ),
      sweepRow("moto reading bodies", section.moto.readingBodies),
    ],
  )
  const scanRow = (label: string, scan: ScanFigures) =>
    [
      label,
      formatNumber(scan.entries),
      scan.seconds.toFixed(1),
      formatNumber(scan.entriesPerSecond),
      scan.rssBeforeScanMb.toFixed(0),
      scan.peakRssDuringScanMb.toFixed(0),
      scan.maxRssMb.toFixed(0),
      scan.maxOldSpaceMb === null ? "-" : scan.maxOldSpaceMb.toFixed(0),
      scan.heapRetainedMb.toFixed(1),
    ] as const
  const scans = renderTable(
    [
      "large sweep, own process",
      "entries",
      "s",
      "entries/s",
      "RSS before (MB)",
      "peak during (MB)",
      "max RSS (MB)",
      "heap cap (MB)",
      "heap kept (MB)",
    ],
    [
      scanRow("directory store, by age (files deleted)", section.directoryByAge),
      scanRow("generated store, by age", section.generatedByAge),
      scanRow("the same, heap capped", section.generatedByAgeUnderHeapCap),
      scanRow("generated store, reading bodies", section.generatedReadingBodies),
    ],
  )
  return [
    "retention: sweeping expired entries (median of rounds); store calls per 1,000 entries",
    sweeps,
    `  target ≤ ${section.callsTarget} calls per 1,000 entries by age: ${verdict(section.meetsCallsTarget)}`,
    "",
    scans,
    `  target peak RSS < ${section.rssTargetMb} MB (max RSS of the directory sweep by age): ${verdict(section.meetsRssTarget)}`,
    "",
  ].join("\n")
}
