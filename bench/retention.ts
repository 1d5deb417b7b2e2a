import { spawn } from "node:child_process"
import { once } from "node:events"
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
  /** Expired entries planted and swept per round on the memory store. */
  readonly memoryEntries: number
  /** Expired entries planted and swept per round on moto (which serves ~100–500 requests a second). */
  readonly motoEntries: number
  readonly rounds: number
  /** Entries in the single large sweep whose memory is measured, in a child process. */
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
  /** Median over rounds of entries swept (read, found expired and deleted) per second. */
  readonly entriesPerSecond: number
  readonly roundRates: ReadonlyArray<number>
  readonly entriesPerRound: number
  readonly callsPerThousand: CallsPerThousand
}

export interface ScanFigures {
  readonly mode: "generated" | "memory"
  readonly entries: number
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
  readonly memory: SweepFigures
  readonly moto: SweepFigures
  /** Listing and batched-delete calls per 1,000 entries: the calls the target counts. */
  readonly listAndDeleteCallsPerThousand: { readonly memory: number; readonly moto: number }
  readonly callsTarget: number
  /** Every call counted, the body reads included. */
  readonly meetsCallsTarget: boolean
  /** The 1,000,000-entry sweep over a store that holds nothing: the sweep's own memory. */
  readonly scan: ScanFigures
  /** The same sweep with the heap capped at 64 MB: it still finishes. */
  readonly scanUnderHeapCap: ScanFigures
  /**
   * The same over the memory store holding every entry (`--dry-run`, so nothing is freed), the
   * heap capped at 1 GB: uncapped, V8 lets garbage pile up in proportion to the live heap.
   */
  readonly scanOnMemoryStore: ScanFigures
  readonly rssTargetMb: number
  readonly meetsRssTarget: boolean
}

const now = Date.parse("2025-06-01T00:00:00.000Z")

/** Round `round`'s entries: all expired before `now`, kinds in turn, run ids unique across rounds. */
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

const checkSwept = (report: SweepReport, count: number) => {
  if (report.scanned !== count || report.deleted !== count || report.failed !== 0) {
    throw new Error(`a round swept ${report.deleted} of ${report.scanned} entries, not ${count} of ${count}`)
  }
}

const round3 = (value: number) => Math.round(value * 1000) / 1000

const elapsedSeconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9

/** Each round on a fresh memory store: plant, then time the sweep, counting store calls. */
const onMemory = async (options: RetentionOptions): Promise<SweepFigures> => {
  const rates: Array<number> = []
  let calls = emptyCalls()
  for (let round = 0; round < options.rounds; round += 1) {
    calls = emptyCalls()
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
      const report = await runtime.runPromise(sweepIndex({ beforeMillis: now }))
      const seconds = elapsedSeconds(started)
      checkSwept(report, options.memoryEntries)
      rates.push(options.memoryEntries / seconds)
      options.progress(
        `memory round ${round + 1}: ${formatNumber(options.memoryEntries / seconds)} entries/s`,
      )
    } finally {
      await runtime.dispose()
    }
  }
  const perThousand = callsPerThousand(calls, options.memoryEntries)
  return {
    entriesPerSecond: Math.round(median(rates)),
    roundRates: rates.map(Math.round),
    entriesPerRound: options.memoryEntries,
    callsPerThousand: perThousand,
  }
}

const bucket = "run-index-bench-retention"

/** Planted with the bare SDK (the write path is not measured), swept through the adapter. */
const onMoto = async (endpoint: string, options: RetentionOptions): Promise<SweepFigures> => {
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
    const rates: Array<number> = []
    let counts: Record<string, number> = {}
    for (let round = 0; round < options.rounds; round += 1) {
      const planted = expiredEntries(round, options.motoEntries)
      options.progress(`moto round ${round + 1}: planting ${planted.length} entries`)
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
      const report = await runtime.runPromise(sweepIndex({ beforeMillis: now }))
      const seconds = elapsedSeconds(started)
      // The middleware stays on the client; only this round's calls are counted below.
      counts = {
        list: calls.count("ListObjectsV2Command"),
        get: calls.count("GetObjectCommand"),
        deleteMany: calls.count("DeleteObjectsCommand"),
      }
      sdk.middlewareStack.remove("countS3Calls")
      checkSwept(report, options.motoEntries)
      rates.push(options.motoEntries / seconds)
      options.progress(`moto round ${round + 1}: ${formatNumber(options.motoEntries / seconds)} entries/s`)
    }
    const per = (count = 0) => round3((count / options.motoEntries) * 1000)
    return {
      entriesPerSecond: Math.round(median(rates)),
      roundRates: rates.map(Math.round),
      entriesPerRound: options.motoEntries,
      callsPerThousand: {
        list: per(counts.list),
        get: per(counts.get),
        deleteMany: per(counts.deleteMany),
        total: per((counts.list ?? 0) + (counts.get ?? 0) + (counts.deleteMany ?? 0)),
      },
    }
  } finally {
    await runtime.dispose()
  }
}

/**
 * Old-space caps that show the bound: the generated sweep must fit everything it holds in 64 MB;
 * the memory store's run gets room for its ~600 MB of entries and a few hundred MB besides.
 */
const heapCapsMb = { generated: 64, memory: 1024 } as const

/**
 * `bench/retentionScan.ts` in a child process (same Node, same tsx loader, `--expose-gc`),
 * optionally under an old-space cap.
 */
const scanInChild = async (
  mode: "generated" | "memory",
  entries: number,
  heapCapMb?: number,
): Promise<ScanFigures> => {
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      "--expose-gc",
      ...(heapCapMb === undefined ? [] : [`--max-old-space-size=${heapCapMb}`]),
      join(import.meta.dirname, "retentionScan.ts"),
      mode,
      String(entries),
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

/** Entries swept per second and store calls per 1,000 on memory and moto; memory of a 1,000,000-entry sweep. */
export const retention = async (options: RetentionOptions): Promise<RetentionSection> => {
  options.progress(
    `memory: ${options.rounds} rounds of ${formatNumber(options.memoryEntries)} expired entries`,
  )
  const memory = await onMemory(options)
  options.progress("moto: starting python3 -m moto.server")
  const moto = await withMoto((server) => onMoto(server.url, options))
  options.progress(`scan: ${formatNumber(options.scanEntries)} generated entries in a child process`)
  const scan = await scanInChild("generated", options.scanEntries)
  options.progress(`scan: again with the heap capped at ${heapCapsMb.generated} MB`)
  const scanUnderHeapCap = await scanInChild("generated", options.scanEntries, heapCapsMb.generated)
  options.progress(
    `scan: ${formatNumber(options.scanEntries)} entries on the memory store in a child process, heap capped at ${heapCapsMb.memory} MB`,
  )
  const scanOnMemoryStore = await scanInChild("memory", options.scanEntries, heapCapsMb.memory)
  return {
    memory,
    moto,
    listAndDeleteCallsPerThousand: {
      memory: round3(memory.callsPerThousand.list + memory.callsPerThousand.deleteMany),
      moto: round3(moto.callsPerThousand.list + moto.callsPerThousand.deleteMany),
    },
    callsTarget,
    meetsCallsTarget: Math.max(memory.callsPerThousand.total, moto.callsPerThousand.total) <= callsTarget,
    scan,
    scanUnderHeapCap,
    scanOnMemoryStore,
    rssTargetMb,
    // The process's high-water mark, start-up included: the stricter of the two peaks.
    meetsRssTarget: Math.max(scan.maxRssMb, scan.peakRssDuringScanMb) < rssTargetMb,
  }
}

const verdict = (meets: boolean) => (meets ? "met" : "MISSED")

/** The section as tables for people. */
export const renderRetention = (section: RetentionSection): string => {
  const sweepRow = (label: string, figures: SweepFigures, listAndDelete: number) =>
    [
      label,
      formatNumber(figures.entriesPerSecond),
      figures.roundRates.map((rate) => formatNumber(rate)).join(" "),
      formatNumber(figures.callsPerThousand.list, 1),
      formatNumber(figures.callsPerThousand.get, 0),
      formatNumber(figures.callsPerThousand.deleteMany, 1),
      formatNumber(listAndDelete, 1),
      formatNumber(figures.callsPerThousand.total, 1),
    ] as const
  const sweeps = renderTable(
    ["store", "entries/s", "each round", "list", "get", "batch delete", "list+delete", "all calls"],
    [
      sweepRow(
        `memory (${formatNumber(section.memory.entriesPerRound)} a round)`,
        section.memory,
        section.listAndDeleteCallsPerThousand.memory,
      ),
      sweepRow(
        `moto (${formatNumber(section.moto.entriesPerRound)} a round)`,
        section.moto,
        section.listAndDeleteCallsPerThousand.moto,
      ),
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
      scan.scanGrowthMb.toFixed(0),
      scan.maxRssMb.toFixed(0),
      scan.maxOldSpaceMb === null ? "-" : scan.maxOldSpaceMb.toFixed(0),
      scan.heapRetainedMb.toFixed(1),
    ] as const
  const scans = renderTable(
    [
      "1,000,000-entry sweep, own process",
      "entries",
      "s",
      "entries/s",
      "RSS before (MB)",
      "peak during (MB)",
      "growth (MB)",
      "max RSS (MB)",
      "heap cap (MB)",
      "heap kept (MB)",
    ],
    [
      scanRow("store holding nothing (generated)", section.scan),
      scanRow("the same, heap capped", section.scanUnderHeapCap),
      scanRow("memory store holding them (dry run), heap capped", section.scanOnMemoryStore),
    ],
  )
  return [
    "retention: sweeping expired entries (median of rounds); store calls per 1,000 entries",
    sweeps,
    `  target ≤ ${section.callsTarget} calls per 1,000 entries: ${verdict(section.meetsCallsTarget)} ` +
      "(list + batch delete alone meet it; every entry's body is read to judge its expiresAt)",
    "",
    scans,
    `  target peak RSS < ${section.rssTargetMb} MB (max RSS of the generated sweep): ${verdict(section.meetsRssTarget)}`,
    "",
  ].join("\n")
}
