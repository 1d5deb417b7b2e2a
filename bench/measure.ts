/**
 * Timing for side-by-side throughput: rounds of a fixed number of operations, timed with
 * `process.hrtime.bigint`, summarised by their median. A hand-written loop rather than a benchmark
 * library: what matters here is the ratio of two loops run under identical conditions (same
 * operation count, same concurrency, interleaved), and that needs no more than this.
 */

/** One timed round: does `operations` operations and resolves when all are done. */
export type Round = (operations: number) => Promise<void>

/** What one round took. */
export interface Sample {
  readonly operationsPerSecond: number
  /** CPU time of this process (all its threads) per operation, in microseconds. */
  readonly cpuMicrosPerOperation: number
}

/** The timed rounds of one loop. */
export interface Rounds {
  readonly samples: ReadonlyArray<Sample>
  readonly operationsPerSecond: number
  readonly cpuMicrosPerOperation: number
  readonly operationsPerRound: number
}

export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((left, right) => left - right)
  const middle = Math.floor(sorted.length / 2)
  if (sorted.length === 0) return Number.NaN
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

export const timeRound = async (round: Round, operations: number): Promise<Sample> => {
  const cpuBefore = process.cpuUsage()
  const start = process.hrtime.bigint()
  await round(operations)
  const elapsedSeconds = Number(process.hrtime.bigint() - start) / 1e9
  const cpu = process.cpuUsage(cpuBefore)
  return {
    operationsPerSecond: operations / elapsedSeconds,
    cpuMicrosPerOperation: (cpu.user + cpu.system) / operations,
  }
}

const summarise = (samples: ReadonlyArray<Sample>, operationsPerRound: number): Rounds => ({
  samples,
  operationsPerSecond: median(samples.map((sample) => sample.operationsPerSecond)),
  cpuMicrosPerOperation: median(samples.map((sample) => sample.cpuMicrosPerOperation)),
  operationsPerRound,
})

export interface Calibration {
  /** Warm-up lasts at least this long. */
  readonly warmupSeconds: number
  /** Each timed round is sized to last about this long at the warm-up rate. */
  readonly roundSeconds: number
  /** Round sizes are multiples of this. */
  readonly granularity: number
}

/** Warm-up rounds of every loop, however quick: the first ones still open sockets and compile code. */
const minimumWarmupRounds = 3

/**
 * Runs every loop in rounds of growing size until the warm-up time is spent (so the JIT, sockets
 * and caches settle), then sizes the timed rounds from the slowest loop's rate in the last of them.
 */
export const warmUpAndSize = async (
  rounds: ReadonlyArray<Round>,
  calibration: Calibration,
): Promise<number> => {
  const deadline = process.hrtime.bigint() + BigInt(Math.round(calibration.warmupSeconds * 1e9))
  let operations = calibration.granularity
  for (let warmups = 1; ; warmups += 1) {
    let slowest = Number.POSITIVE_INFINITY
    for (const round of rounds) {
      slowest = Math.min(slowest, (await timeRound(round, operations)).operationsPerSecond)
    }
    if (warmups >= minimumWarmupRounds && process.hrtime.bigint() >= deadline) {
      const multiples = Math.round((slowest * calibration.roundSeconds) / calibration.granularity)
      return Math.max(1, multiples) * calibration.granularity
    }
    if (operations / slowest < calibration.roundSeconds / 2) operations *= 2
  }
}

/** `count` timed rounds of one loop. */
export const measure = async (round: Round, operations: number, count: number): Promise<Rounds> => {
  const samples: Array<Sample> = []
  for (let index = 0; index < count; index += 1) samples.push(await timeRound(round, operations))
  return summarise(samples, operations)
}

/**
 * `count` timed rounds of each of two loops, interleaved so that slow drift of the machine (other
 * processes, heap growth) falls on both; pairs alternate their order: A B, B A, A B, …
 */
export const measureInterleaved = async (
  first: Round,
  second: Round,
  operations: number,
  count: number,
): Promise<readonly [Rounds, Rounds]> => {
  const firstSamples: Array<Sample> = []
  const secondSamples: Array<Sample> = []
  for (let index = 0; index < count; index += 1) {
    if (index % 2 === 0) {
      firstSamples.push(await timeRound(first, operations))
      secondSamples.push(await timeRound(second, operations))
    } else {
      secondSamples.push(await timeRound(second, operations))
      firstSamples.push(await timeRound(first, operations))
    }
  }
  return [summarise(firstSamples, operations), summarise(secondSamples, operations)]
}

/** Runs `task(0)` … `task(count - 1)` with at most `concurrency` in flight, like `Effect.forEach`. */
export const promisePool = async (
  count: number,
  concurrency: number,
  task: (index: number) => Promise<unknown>,
): Promise<void> => {
  let next = 0
  const worker = async () => {
    while (next < count) {
      const index = next
      next += 1
      await task(index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}
