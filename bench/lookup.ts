import { mkdtemp, rm } from "node:fs/promises"
import { cpus, loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3"
import { NodeContext } from "@effect/platform-node"
import { Effect, Layer, ManagedRuntime } from "effect"
import * as ObjectRunIndexStore from "../src/adapters/ObjectRunIndexStore.js"
import * as DirectoryObjectStore from "../src/adapters/objects/DirectoryObjectStore.js"
import * as MemoryObjectStore from "../src/adapters/objects/MemoryObjectStore.js"
import type { ObjectStore } from "../src/adapters/objects/ObjectStore.js"
import * as S3ClientLayer from "../src/adapters/objects/S3Client.js"
import * as S3ObjectStore from "../src/adapters/objects/S3ObjectStore.js"
import { encodeEntry, type RunIndexEntry } from "../src/domain/RunIndexEntry.js"
import { keyPath, type RunIndexKey } from "../src/domain/RunIndexKey.js"
import { workflowKinds } from "../src/domain/WorkflowKind.js"
import { RunIndexStore } from "../src/ports/RunIndexStore.js"
import { entry, seedBody } from "../test/support/fixtures.js"
import {
  type Calibration,
  measure,
  measureInterleaved,
  median,
  promisePool,
  type Round,
  type Rounds,
  warmUpAndSize,
} from "./measure.js"
import { type MotoServer, withMoto } from "./moto.js"
import { formatNumber, renderTable } from "./output.js"
import { type StubPlacement, startFixedBodyStub } from "./stub.js"

export interface LookupOptions {
  /** Distinct entries planted and read round-robin (memory, directory, moto). */
  readonly entries: number
  /** Gets in flight at once, for the adapter and the bare SDK alike. */
  readonly concurrency: number
  /** Timed rounds per loop, per side in a comparison. */
  readonly rounds: number
  /** Timed rounds per side on the stub: its rounds are short and its ratio is the one with a target. */
  readonly stubRounds: number
  readonly stubPlacement: StubPlacement
  readonly progress: (line: string) => void
}

export const defaultLookupOptions: Omit<LookupOptions, "progress"> = {
  entries: 500,
  concurrency: 16,
  rounds: 5,
  stubRounds: 11,
  stubPlacement: "child process",
}

export const memoryTarget = 200_000
export const stubRatioTarget = 0.9

const region = "us-east-1"
const bucket = "run-index-bench"

/** One loop's figures: the median rate, the median CPU cost, and every round's rate. */
export interface LoopFigures {
  readonly getsPerSecond: number
  readonly cpuMicrosPerGet: number
  readonly roundRates: ReadonlyArray<number>
  readonly getsPerRound: number
}

export interface LookupSection {
  readonly memoryGetsPerSecond: number
  readonly memorySequentialGetsPerSecond: number
  readonly directoryGetsPerSecond: number
  readonly s3GetsPerSecond: number
  readonly rawSdkGetsPerSecond: number
  readonly s3VsRawSdk: number
  readonly stubGetsPerSecond: number
  readonly rawSdkStubGetsPerSecond: number
  readonly s3VsRawSdkStub: number
  readonly memoryTarget: number
  readonly stubRatioTarget: number
  readonly memoryMeetsTarget: boolean
  readonly stubMeetsTarget: boolean
  readonly entries: number
  readonly concurrency: number
  readonly rounds: number
  readonly stubRounds: number
  readonly stubPlacement: StubPlacement
  readonly cpus: number
  readonly loadAverageAtStart: number
  readonly loadAverageAtEnd: number
  readonly comparisons: { readonly moto: Comparison; readonly stub: Comparison }
  readonly loops: {
    readonly memory: LoopFigures
    readonly memorySequential: LoopFigures
    readonly directory: LoopFigures
    readonly s3: LoopFigures
    readonly rawSdk: LoopFigures
    readonly s3Stub: LoopFigures
    readonly rawSdkStub: LoopFigures
  }
}

const figures = (rounds: Rounds): LoopFigures => ({
  getsPerSecond: Math.round(rounds.operationsPerSecond),
  cpuMicrosPerGet: Math.round(rounds.cpuMicrosPerOperation * 10) / 10,
  roundRates: rounds.samples.map((sample) => Math.round(sample.operationsPerSecond)),
  getsPerRound: rounds.operationsPerRound,
})

const ratioOf = (adapter: Rounds, raw: Rounds) => adapter.operationsPerSecond / raw.operationsPerSecond

const round3 = (value: number) => Math.round(value * 1000) / 1000

/** Adapter against bare SDK three ways; the pairs and the CPU cost are less swayed by a busy machine. */
export interface Comparison {
  /** The adapter's median rate over the bare SDK's: the figure with the target. */
  readonly ratioOfMedians: number
  /** The median over rounds of adapter rate ÷ bare SDK rate in the round next to it. */
  readonly medianOfPairedRatios: number
  /** The bare SDK's CPU time per get ÷ the adapter's: the share of the client's work that is the SDK's. */
  readonly cpuRatio: number
}

const compare = (adapter: Rounds, raw: Rounds): Comparison => ({
  ratioOfMedians: round3(ratioOf(adapter, raw)),
  medianOfPairedRatios: round3(
    median(
      adapter.samples.map(
        (sample, index) => sample.operationsPerSecond / raw.samples[index]!.operationsPerSecond,
      ),
    ),
  ),
  cpuRatio: round3(raw.cpuMicrosPerOperation / adapter.cpuMicrosPerOperation),
})

/** `count` entries spread over every kind, each stored as the compact body buckets hold. */
const plantedEntries = (count: number): ReadonlyArray<RunIndexEntry> =>
  Array.from({ length: count }, (_, index) =>
    entry(workflowKinds[index % workflowKinds.length]!, 1_000_000 + index, `req_bench_${index}`),
  )

/** `operations` items taken round-robin from `items`; built once per size, outside the timing. */
const cycler = <A>(items: ReadonlyArray<A>) => {
  const built = new Map<number, ReadonlyArray<A>>()
  return (operations: number): ReadonlyArray<A> => {
    let cycled = built.get(operations)
    if (cycled === undefined) {
      cycled = Array.from({ length: operations }, (_, index) => items[index % items.length]!)
      built.set(operations, cycled)
    }
    return cycled
  }
}

type RunIndexRuntime = ManagedRuntime.ManagedRuntime<RunIndexStore, unknown>

/** Every get through the one runtime built for the store; `concurrency` 1 means one at a time. */
const adapterRound = (
  runtime: RunIndexRuntime,
  store: RunIndexStore["Type"],
  keys: ReadonlyArray<RunIndexKey>,
  concurrency: number,
): Round => {
  const keysFor = cycler(keys)
  const get = (key: RunIndexKey) => store.get(key)
  return (operations) =>
    runtime.runPromise(Effect.forEach(keysFor(operations), get, { concurrency, discard: true }))
}

/** The bare SDK: GetObject and read the body as text, `concurrency` in flight. */
const rawSdkRound = (client: S3Client, paths: ReadonlyArray<string>, concurrency: number): Round => {
  const pathsFor = cycler(paths)
  return (operations) => {
    const round = pathsFor(operations)
    return promisePool(operations, concurrency, async (index) => {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: round[index]! }))
      await response.Body?.transformToString()
    })
  }
}

/** Every planted key reads back as its entry, through the adapter and, given a client, the bare SDK. */
const verify = async (
  runtime: RunIndexRuntime,
  store: RunIndexStore["Type"],
  planted: ReadonlyArray<RunIndexEntry>,
  client?: S3Client,
): Promise<void> => {
  const lookups = await runtime.runPromise(
    Effect.forEach(planted, (key) => store.get(key), { concurrency: 16 }),
  )
  lookups.forEach((lookup, index) => {
    const expected = planted[index]!
    if (lookup._tag !== "Found" || lookup.entry.requestId !== expected.requestId) {
      throw new Error(`the adapter read ${keyPath(expected)} as ${lookup._tag}, not the planted entry`)
    }
  })
  if (client === undefined) return
  await promisePool(planted.length, 16, async (index) => {
    const expected = planted[index]!
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: keyPath(expected) }))
    const body = await response.Body?.transformToString()
    if (body !== encodeEntry(expected)) {
      throw new Error(`the bare SDK read ${keyPath(expected)} as ${JSON.stringify(body)}`)
    }
  })
}

const withStore = async <A>(
  objects: Layer.Layer<ObjectStore, unknown>,
  use: (runtime: RunIndexRuntime, store: RunIndexStore["Type"]) => Promise<A>,
): Promise<A> => {
  const runtime = ManagedRuntime.make(ObjectRunIndexStore.layer.pipe(Layer.provide(objects)))
  try {
    return await use(runtime, await runtime.runPromise(RunIndexStore))
  } finally {
    await runtime.dispose()
  }
}

const calibration = (granularity: number, roundSeconds: number, warmupSeconds = 1): Calibration => ({
  warmupSeconds,
  roundSeconds,
  granularity,
})

const plant = (
  runtime: RunIndexRuntime,
  store: RunIndexStore["Type"],
  planted: ReadonlyArray<RunIndexEntry>,
) => runtime.runPromise(Effect.forEach(planted, (planting) => store.put(planting), { discard: true }))

const onMemory = (planted: ReadonlyArray<RunIndexEntry>, options: LookupOptions) =>
  withStore(MemoryObjectStore.layerMemory, async (runtime, store) => {
    await plant(runtime, store, planted)
    await verify(runtime, store, planted)
    const concurrent = adapterRound(runtime, store, planted, options.concurrency)
    const sequential = adapterRound(runtime, store, planted, 1)
    const concurrentGets = await warmUpAndSize([concurrent], calibration(planted.length, 0.5))
    options.progress(
      `memory: ${options.rounds} rounds of ${concurrentGets} gets, ${options.concurrency} in flight`,
    )
    const memory = await measure(concurrent, concurrentGets, options.rounds)
    const sequentialGets = await warmUpAndSize([sequential], calibration(planted.length, 0.5))
    options.progress(`memory: ${options.rounds} rounds of ${sequentialGets} gets, one at a time`)
    const memorySequential = await measure(sequential, sequentialGets, options.rounds)
    return { memory, memorySequential }
  })

const onDirectory = async (planted: ReadonlyArray<RunIndexEntry>, options: LookupOptions) => {
  const root = await mkdtemp(join(tmpdir(), "run-index-bench-"))
  try {
    const objects = DirectoryObjectStore.layer(root).pipe(Layer.provide(NodeContext.layer))
    return await withStore(objects, async (runtime, store) => {
      await plant(runtime, store, planted)
      await verify(runtime, store, planted)
      const round = adapterRound(runtime, store, planted, options.concurrency)
      const gets = await warmUpAndSize([round], calibration(planted.length, 0.5))
      options.progress(`directory ${root}: ${options.rounds} rounds of ${gets} gets`)
      return await measure(round, gets, options.rounds)
    })
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

/**
 * The S3 adapter and the bare SDK, interleaved, over the one client the adapter's layer built (so
 * both share its connection pool and configuration).
 */
const adapterVersusRawSdk = async (
  name: string,
  endpoint: string,
  prepare: (client: S3Client) => Promise<{
    readonly keys: ReadonlyArray<RunIndexKey>
    readonly planted: ReadonlyArray<RunIndexEntry>
  }>,
  rounds: number,
  roundSeconds: number,
  options: LookupOptions,
): Promise<readonly [Rounds, Rounds]> => {
  const client = S3ClientLayer.layer({ endpoint, region })
  const objects = S3ObjectStore.layer({ bucket }).pipe(Layer.provideMerge(client))
  const runtime = ManagedRuntime.make(ObjectRunIndexStore.layer.pipe(Layer.provideMerge(objects)))
  try {
    const sdk = await runtime.runPromise(S3ClientLayer.S3ClientService)
    const store = await runtime.runPromise(RunIndexStore)
    const { keys, planted } = await prepare(sdk)
    await verify(runtime, store, planted, sdk)
    const adapter = adapterRound(runtime, store, keys, options.concurrency)
    const raw = rawSdkRound(sdk, keys.map(keyPath), options.concurrency)
    // Longer than for the stores in memory: the SDK's code paths take a while to settle.
    const gets = await warmUpAndSize([adapter, raw], calibration(100, roundSeconds, 2))
    options.progress(`${name}: ${rounds} rounds of ${gets} gets each, adapter and bare SDK interleaved`)
    return await measureInterleaved(adapter, raw, gets, rounds)
  } finally {
    await runtime.dispose()
  }
}

/** Planted and read on the moto started before anything else, so a machine without moto fails at once. */
const onMoto = async (moto: MotoServer, planted: ReadonlyArray<RunIndexEntry>, options: LookupOptions) =>
  adapterVersusRawSdk(
    `s3 on moto ${moto.url}`,
    moto.url,
    async (client) => {
      await client.send(new CreateBucketCommand({ Bucket: bucket }))
      // Planted with the bare SDK: the write path is not what this section measures.
      await promisePool(planted.length, options.concurrency, async (index) => {
        const planting = planted[index]!
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: keyPath(planting), Body: encodeEntry(planting) }),
        )
      })
      return { keys: planted, planted }
    },
    options.rounds,
    1.5,
    options,
  )

/** The stub answers every GET with the seed body, so every get reads the seed's own key. */
const onStub = async (options: LookupOptions) => {
  const seed = entry("apply", 123456790, "req_dev_ec2_abc")
  if (encodeEntry(seed) !== seedBody) throw new Error("the seed entry does not encode to the seed body")
  const stub = await startFixedBodyStub(seedBody, options.stubPlacement)
  try {
    return await adapterVersusRawSdk(
      `s3 on the stub (${stub.placement}) ${stub.url}`,
      stub.url,
      async () => ({ keys: [seed], planted: [seed] }),
      options.stubRounds,
      0.5,
      options,
    )
  } finally {
    await stub.stop()
  }
}

/** Index gets per second on every store, and the S3 adapter against the bare SDK on moto and the stub. */
export const lookup = async (options: LookupOptions): Promise<LookupSection> => {
  const [loadAverageAtStart = 0] = loadavg()
  const planted = plantedEntries(options.entries)
  options.progress("moto: starting python3 -m moto.server")
  const { memory, memorySequential, directory, s3, rawSdk } = await withMoto(async (moto) => {
    const { memory, memorySequential } = await onMemory(planted, options)
    const directory = await onDirectory(planted, options)
    const [s3, rawSdk] = await onMoto(moto, planted, options)
    return { memory, memorySequential, directory, s3, rawSdk }
  })
  const [s3Stub, rawSdkStub] = await onStub(options)
  const [loadAverageAtEnd = 0] = loadavg()
  return {
    memoryGetsPerSecond: Math.round(memory.operationsPerSecond),
    memorySequentialGetsPerSecond: Math.round(memorySequential.operationsPerSecond),
    directoryGetsPerSecond: Math.round(directory.operationsPerSecond),
    s3GetsPerSecond: Math.round(s3.operationsPerSecond),
    rawSdkGetsPerSecond: Math.round(rawSdk.operationsPerSecond),
    s3VsRawSdk: round3(ratioOf(s3, rawSdk)),
    stubGetsPerSecond: Math.round(s3Stub.operationsPerSecond),
    rawSdkStubGetsPerSecond: Math.round(rawSdkStub.operationsPerSecond),
    s3VsRawSdkStub: round3(ratioOf(s3Stub, rawSdkStub)),
    memoryTarget,
    stubRatioTarget,
    memoryMeetsTarget: memory.operationsPerSecond >= memoryTarget,
    stubMeetsTarget: ratioOf(s3Stub, rawSdkStub) >= stubRatioTarget,
    entries: options.entries,
    concurrency: options.concurrency,
    rounds: options.rounds,
    stubRounds: options.stubRounds,
    stubPlacement: options.stubPlacement,
    cpus: cpus().length,
    loadAverageAtStart: round3(loadAverageAtStart),
    loadAverageAtEnd: round3(loadAverageAtEnd),
    comparisons: { moto: compare(s3, rawSdk), stub: compare(s3Stub, rawSdkStub) },
    loops: {
      memory: figures(memory),
      memorySequential: figures(memorySequential),
      directory: figures(directory),
      s3: figures(s3),
      rawSdk: figures(rawSdk),
      s3Stub: figures(s3Stub),
      rawSdkStub: figures(rawSdkStub),
    },
  }
}

const verdict = (meets: boolean) => (meets ? "met" : "MISSED")

/** The section as a table for people: one row per loop, then the ratios against their targets. */
export const renderLookup = (section: LookupSection): string => {
  const { loops } = section
  const row = (label: string, loop: LoopFigures, note = "") =>
    [
      label,
      formatNumber(loop.getsPerSecond),
      formatNumber(loop.cpuMicrosPerGet, 1),
      formatNumber(loop.getsPerRound),
      loop.roundRates.map((rate) => formatNumber(rate)).join(" "),
      note,
    ] as const
  const memoryNote = `target ≥ ${formatNumber(section.memoryTarget)}: ${verdict(section.memoryMeetsTarget)}`
  const header =
    `lookup: index gets per second, median of ${section.rounds} rounds (stub: ${section.stubRounds}), ` +
    `${section.concurrency} in flight, ${section.entries} entries; ` +
    `${section.cpus} CPUs, load average ${section.loadAverageAtStart} at start, ${section.loadAverageAtEnd} at end`
  const loopTable = renderTable(
    ["store", "gets/s", "cpu µs/get", "gets/round", "each round (gets/s)", ""],
    [
      row("memory", loops.memory, memoryNote),
      row("memory, one at a time", loops.memorySequential),
      row("directory", loops.directory),
      row("s3 on moto: adapter", loops.s3),
      row("s3 on moto: bare SDK", loops.rawSdk),
      row(`s3 on stub (${section.stubPlacement}): adapter`, loops.s3Stub),
      row(`s3 on stub (${section.stubPlacement}): bare SDK`, loops.rawSdkStub),
    ],
  )
  const comparisonRow = (label: string, comparison: Comparison, note = "") =>
    [
      label,
      comparison.ratioOfMedians.toFixed(3),
      comparison.medianOfPairedRatios.toFixed(3),
      comparison.cpuRatio.toFixed(3),
      note,
    ] as const
  const ratioTable = renderTable(
    ["adapter / bare SDK", "ratio of medians", "median of pairs", "cpu µs/get, bare ÷ adapter", ""],
    [
      comparisonRow("on moto", section.comparisons.moto),
      comparisonRow(
        "on the stub",
        section.comparisons.stub,
        `target ≥ ${section.stubRatioTarget} (ratio of medians): ${verdict(section.stubMeetsTarget)}`,
      ),
    ],
  )
  return `${header}\n\n${loopTable}\n\n${ratioTable}\n`
}
