/**
 * One sweep over a large index, in a process of its own so its memory figures are the sweep's:
 * `node bench/retentionScan.ts <mode> <entries> [directory]` prints one JSON line on stdout.
 *
 * - `generated-age`, `generated-bodies`: an object store that makes up its entries as the listing
 *   reaches them (deletes are no-ops), so nothing but the sweep occupies the heap; swept by age, or
 *   reading every body.
 * - `directory-age <directory>`: the directory store over `<entries>` real files planted there
 *   beforehand (`plant-directory`), swept by age: every file is listed, judged and deleted.
 * - `plant-directory <directory>`: writes the files, with plain `node:fs`, and exits.
 *
 * Run it with `--max-old-space-size` to show the bound: a sweep that kept what it read would run
 * out of heap long before the end.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { Effect, Layer, Option, Stream } from "effect"
import * as ObjectRunIndexStore from "../src/adapters/ObjectRunIndexStore.js"
import { ObjectStore, WriteOutcome } from "../src/adapters/objects/ObjectStore.js"
import { encodeEntry, type RunIndexEntry } from "../src/domain/RunIndexEntry.js"
import { keyPath, parseKeyPath } from "../src/domain/RunIndexKey.js"
import { workflowKinds } from "../src/domain/WorkflowKind.js"
import { sweepIndex } from "../src/programs/Sweep.js"
import { callsPerThousand, countingObjectStore, emptyCalls } from "../test/support/countingObjectStore.js"
import { entry } from "../test/support/fixtures.js"

/** Generated sweeps run at this instant: every entry below expired before it, by age and by body. */
const generatedNow = Date.parse("2025-06-01T00:00:00.000Z")
/** When the generated entries were written, as their listing says. */
const generatedWrittenAt = Date.parse("2025-01-15T10:00:00.000Z")
const day = 86_400_000

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
                return {
                  path: keyPath(plantedEntry(index)),
                  lastModified: generatedWrittenAt,
                  version: '"generated"',
                }
              }),
            ),
          ),
          Stream.filter((listed) => listed.path.startsWith(prefix)),
          Stream.rechunk(1000),
        ),
    }),
  )

const plantDirectory = (root: string, count: number) => {
  const made = new Set<string>()
  for (let index = 0; index < count; index += 1) {
    const planted = plantedEntry(index)
    const file = join(root, ...keyPath(planted).split("/"))
    const folder = dirname(file)
    if (!made.has(folder)) {
      mkdirSync(folder, { recursive: true })
      made.add(folder)
    }
    writeFileSync(file, encodeEntry(planted))
  }
}

/** `--max-old-space-size`, when the process was given one. */
const heapCapMb = (): number | null => {
  const flag = process.execArgv.find((each) => each.startsWith("--max-old-space-size="))
  return flag === undefined ? null : Number(flag.split("=")[1])
}

const megabytes = (bytes: number) => Math.round(bytes / 1e5) / 10

const collectGarbage = () => (globalThis as { gc?: () => void }).gc?.()

const main = async (mode: string, count: number, root: string | undefined) => {
  if (mode === "plant-directory") {
    plantDirectory(root ?? "", count)
    process.stdout.write(`${JSON.stringify({ planted: count })}\n`)
    return
  }
  const calls = emptyCalls()
  // Loaded only where used: module loading is part of the process's high-water mark.
  const objects: Layer.Layer<ObjectStore> =
    mode === "directory-age"
      ? await Promise.all([
          import("@effect/platform-node/NodeFileSystem"),
          import("@effect/platform-node/NodePath"),
          import("../src/adapters/objects/DirectoryObjectStore.js"),
        ]).then(([NodeFileSystem, NodePath, DirectoryObjectStore]) =>
          DirectoryObjectStore.layer(root ?? "").pipe(
            Layer.provide(Layer.merge(NodeFileSystem.layer, NodePath.layer)),
          ),
        )
      : generatedStore(count)
  const layer = ObjectRunIndexStore.layer.pipe(
    Layer.provideMerge(countingObjectStore(calls).pipe(Layer.provide(objects))),
  )
  const readBodies = mode === "generated-bodies"
  // The directory's files were written moments ago: sweep as if 100 days had passed.
  const beforeMillis = mode === "directory-age" ? Date.now() + 100 * day : generatedNow
  const program = Effect.gen(function* () {
    collectGarbage()
    const heapBeforeScan = process.memoryUsage().heapUsed
    const rssBeforeScan = process.memoryUsage.rss()
    let peakRss = rssBeforeScan
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss())
    }, 20)
    const started = process.hrtime.bigint()
    const report = yield* sweepIndex({ beforeMillis, readBodies }).pipe(
      Effect.ensuring(Effect.sync(() => clearInterval(sampler))),
    )
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    peakRss = Math.max(peakRss, process.memoryUsage.rss())
    collectGarbage()
    const heapAfterScan = process.memoryUsage().heapUsed
    if (report.scanned !== count || report.expired !== count || report.failed !== 0) {
      throw new Error(
        `the sweep saw ${report.scanned} entries, ${report.expired} expired, ${report.failed} failed, not ${count}`,
      )
    }
    return {
      mode,
      entries: count,
      deleted: report.deleted,
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

const [mode = "generated-age", entries = "1000000", root] = process.argv.slice(2)
main(mode, Number(entries), root).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`retention scan failed: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  },
)
