/**
 * One sweep over a large index, in a process of its own so its memory figures are the sweep's:
 * `node bench/retentionScan.ts <generated|memory> <entries>` prints one JSON line on stdout.
 *
 * - `generated`: an object store that makes up its entries as the listing reaches them, so nothing
 *   but the sweep occupies the heap; the peak RSS is the sweep's own.
 * - `memory`: the memory store holding every entry, swept with `--dry-run` (nothing freed while
 *   scanning). Its RSS mostly says how much garbage V8 lets pile up over a large live heap; what
 *   the sweep keeps is the heap after a full collection, compared with before.
 *
 * Run it with `--max-old-space-size` to show the bound: a sweep that kept what it read would run
 * out of heap long before the end.
 */
import { Effect, Layer, Option, Stream } from "effect"
import * as ObjectRunIndexStore from "../src/adapters/ObjectRunIndexStore.js"
import * as MemoryObjectStore from "../src/adapters/objects/MemoryObjectStore.js"
import { ObjectStore, WriteCondition, WriteOutcome } from "../src/adapters/objects/ObjectStore.js"
import { encodeEntry, type RunIndexEntry } from "../src/domain/RunIndexEntry.js"
import { keyPath, parseKeyPath } from "../src/domain/RunIndexKey.js"
import { workflowKinds } from "../src/domain/WorkflowKind.js"
import { sweepIndex } from "../src/programs/Sweep.js"
import { callsPerThousand, countingObjectStore, emptyCalls } from "../test/support/countingObjectStore.js"
import { entry } from "../test/support/fixtures.js"

/** Sweeps run at this instant: every entry planted below expired before it. */
const now = Date.parse("2025-06-01T00:00:00.000Z")

/** Entry `i` is run `firstRunId + i`, of kind `i mod 5`: ids of one width, so each folder lists in id order. */
const firstRunId = 1_000_000

const plantedEntry = (index: number): RunIndexEntry =>
  entry(workflowKinds[index % workflowKinds.length]!, firstRunId + index, `req_scan_${index}`)

/** Entries `0 … count-1`, listed in key order a page at a time and read back, none held in memory. */
const generatedStore = (count: number): Layer.Layer<ObjectStore> =>
  Layer.succeed(
    ObjectStore,
    ObjectStore.of({
      get: (path) =>
        Effect.sync(() =>
          Option.map(parseKeyPath(path), (key) => ({
            body: encodeEntry(plantedEntry(key.runId - firstRunId)),
            etag: '"generated"',
          })),
        ),
      put: () => Effect.succeed(WriteOutcome.PreconditionFailed()),
      delete: () => Effect.void,
      deleteMany: () => Effect.succeed([]),
      list: (prefix) =>
        Stream.fromIterable(workflowKinds).pipe(
          Stream.zipWithIndex,
          Stream.flatMap(([, kindIndex]) =>
            Stream.range(0, Math.ceil((count - kindIndex) / workflowKinds.length) - 1, 1000).pipe(
              Stream.map((position) => {
                const index = kindIndex + position * workflowKinds.length
                return { path: keyPath(plantedEntry(index)), lastModified: 0 }
              }),
            ),
          ),
          Stream.filter((listed) => listed.path.startsWith(prefix)),
        ),
    }),
  )

/** `--max-old-space-size`, when the process was given one. */
const heapCapMb = (): number | null => {
  const flag = process.execArgv.find((each) => each.startsWith("--max-old-space-size="))
  return flag === undefined ? null : Number(flag.split("=")[1])
}

const megabytes = (bytes: number) => Math.round(bytes / 1e5) / 10

const collectGarbage = () => (globalThis as { gc?: () => void }).gc?.()

const main = async (mode: string, count: number) => {
  const calls = emptyCalls()
  const objects = mode === "generated" ? generatedStore(count) : MemoryObjectStore.layerMemory
  const layer = ObjectRunIndexStore.layer.pipe(
    Layer.provideMerge(countingObjectStore(calls).pipe(Layer.provide(objects))),
  )
  const program = Effect.gen(function* () {
    if (mode === "memory") {
      const store = yield* ObjectStore
      for (let index = 0; index < count; index += 1) {
        const planted = plantedEntry(index)
        yield* store.put(keyPath(planted), encodeEntry(planted), WriteCondition.Always())
      }
      Object.assign(calls, emptyCalls())
    }
    collectGarbage()
    const heapBeforeScan = process.memoryUsage().heapUsed
    const rssBeforeScan = process.memoryUsage.rss()
    let peakRss = rssBeforeScan
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss())
    }, 20)
    const started = process.hrtime.bigint()
    const report = yield* sweepIndex({ beforeMillis: now, dryRun: mode === "memory" }).pipe(
      Effect.ensuring(Effect.sync(() => clearInterval(sampler))),
    )
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    peakRss = Math.max(peakRss, process.memoryUsage.rss())
    collectGarbage()
    const heapAfterScan = process.memoryUsage().heapUsed
    if (report.scanned !== count || report.expired !== count) {
      throw new Error(`the sweep saw ${report.scanned} entries, ${report.expired} expired, not ${count}`)
    }
    return {
      mode,
      entries: count,
      seconds: Math.round(seconds * 10) / 10,
      entriesPerSecond: Math.round(count / seconds),
      rssBeforeScanMb: megabytes(rssBeforeScan),
      peakRssDuringScanMb: megabytes(peakRss),
      scanGrowthMb: megabytes(peakRss - rssBeforeScan),
      maxRssMb: megabytes(process.resourceUsage().maxRSS * 1024),
      heapBeforeScanMb: megabytes(heapBeforeScan),
      heapRetainedMb: megabytes(heapAfterScan - heapBeforeScan),
      maxOldSpaceMb: heapCapMb(),
      storeCalls: { ...calls, perThousand: callsPerThousand(calls, count) },
    }
  })
  const result = await Effect.runPromise(Effect.provide(program, layer))
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

const [mode = "generated", entries = "1000000"] = process.argv.slice(2)
main(mode, Number(entries)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`retention scan failed: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  },
)
