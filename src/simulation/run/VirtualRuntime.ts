/**
 * A deterministic runtime for simulations: Effect fibers run on a FIFO scheduler that this module
 * drains itself, and `Clock` is virtual: when no fiber can run, time jumps to the earliest timer.
 * A simulated hour of thousands of concurrent requests costs only the CPU of the work done in it.
 *
 * Why not `TestClock`: each of its steps sorts every pending sleep and polls every fiber of the test
 * for suspension across several `setTimeout` turns, which costs milliseconds per wake-up — hours
 * for the hundreds of thousands of wake-ups of a 100,000-request simulation. Here a wake-up is a
 * heap operation.
 *
 * Real I/O (a directory or S3 store) can run inside: operations wrapped with `external` keep
 * virtual time still until they settle, and run on the real clock (their own retries and lock waits
 * are real time). Without real I/O, the same program and seed replay the same schedule exactly.
 */
import { Clock, Duration, Effect, type Exit, FiberRef, type Scheduler } from "effect"
import { SimulatorTimeline } from "../adapters/github/SimulatorTimeline.js"

interface Timer {
  readonly wake: () => void
  cancelled: boolean
}

/** How long the driver waits for outside work (real I/O) when no fiber can run and no timer is due. */
const stallAfterMillis = 120_000

/** The driver gives the real event loop a turn this often (wall ms), so a long run starves no one. */
const sliceMillis = 25

/** Runs the tasks Effect hands it in the order they came: no priorities, no real time. */
class FifoScheduler implements Scheduler.Scheduler {
  private tasks: Array<Scheduler.Task> = []
  private next = 0
  onWork: (() => void) | undefined = undefined

  get idle(): boolean {
    return this.next >= this.tasks.length
  }

  shouldYield(fiber: Parameters<Scheduler.Scheduler["shouldYield"]>[0]): number | false {
    return fiber.currentOpCount > fiber.getFiberRef(FiberRef.currentMaxOpsBeforeYield)
      ? fiber.getFiberRef(FiberRef.currentSchedulingPriority)
      : false
  }

  scheduleTask(task: Scheduler.Task): void {
    this.tasks.push(task)
    this.onWork?.()
  }

  /** Runs tasks until none is left (tasks may schedule more). */
  drain(): void {
    while (this.next < this.tasks.length) {
      const task = this.tasks[this.next]!
      this.next += 1
      // Drop the tasks already run once they are most of the array, so a long run stays O(1) a task.
      if (this.next >= 4096 && this.next * 2 >= this.tasks.length) {
        this.tasks = this.tasks.slice(this.next)
        this.next = 0
      }
      task()
    }
  }
}

/** Time that moves only when the driver moves it. */
class VirtualClock implements Clock.Clock {
  readonly [Clock.ClockTypeId]: Clock.ClockTypeId = Clock.ClockTypeId
  private readonly timers = new SimulatorTimeline<Timer>()
  constructor(private now: number) {}

  unsafeCurrentTimeMillis(): number {
    return this.now
  }
  readonly currentTimeMillis = Effect.sync(() => this.now)
  unsafeCurrentTimeNanos(): bigint {
    return BigInt(this.now) * 1_000_000n
  }
  readonly currentTimeNanos = Effect.sync(() => this.unsafeCurrentTimeNanos())

  sleep(duration: Duration.Duration): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      const timer: Timer = { wake: () => resume(Effect.void), cancelled: false }
      // Whole milliseconds, as a real clock reads: a jittered schedule asks for fractions.
      this.timers.schedule(this.now + Math.max(0, Math.ceil(Duration.toMillis(duration))), timer)
      return Effect.sync(() => {
        timer.cancelled = true
      })
    })
  }

  /** Moves time to the earliest live timer and fires every timer due then; false when none is left. */
  fireNext(): boolean {
    for (;;) {
      const due = this.timers.nextDue()
      if (due === undefined) return false
      const entry = this.timers.takeDue(due)!
      if (entry.value.cancelled) continue
      this.now = Math.max(this.now, entry.due)
      entry.value.wake()
      for (
        let same = this.timers.takeDue(this.now);
        same !== undefined;
        same = this.timers.takeDue(this.now)
      ) {
        if (!same.value.cancelled) same.value.wake()
      }
      return true
    }
  }
}

/** The handle a simulation gets on its runtime: the virtual clock's reading and real-I/O tracking. */
export interface VirtualRuntime {
  /** Virtual epoch ms. */
  readonly now: () => number
  /**
   * Wraps an operation that waits on the real world (file system, network): virtual time stands
   * still until it settles, and it runs on the real clock.
   */
  readonly external: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/**
 * Runs `program` to completion on a fresh virtual runtime starting at `startMillis`, and resolves
 * with its exit. The program receives the runtime's handle.
 */
export const runVirtual = <A, E>(
  startMillis: number,
  program: (runtime: VirtualRuntime) => Effect.Effect<A, E>,
): Promise<Exit.Exit<A, E>> =>
  new Promise((resolve, reject) => {
    const scheduler = new FifoScheduler()
    const clock = new VirtualClock(startMillis)
    const liveClock = Clock.make()
    let pendingExternal = 0
    let waiting = false
    let stall: ReturnType<typeof setTimeout> | undefined
    let exit: Exit.Exit<A, E> | undefined

    const wake = () => {
      if (!waiting) return
      waiting = false
      if (stall !== undefined) clearTimeout(stall)
      stall = undefined
      queueMicrotask(loop)
    }
    const loop = () => {
      const sliceEnd = performance.now() + sliceMillis
      try {
        for (;;) {
          scheduler.drain()
          if (exit !== undefined) return resolve(exit)
          if (performance.now() > sliceEnd) {
            setImmediate(loop)
            return
          }
          if (pendingExternal > 0 || !clock.fireNext()) {
            waiting = true
            if (pendingExternal === 0) {
              stall = setTimeout(
                () =>
                  reject(
                    new Error("simulation stalled: no fiber can run, no timer is due, no I/O is pending"),
                  ),
                stallAfterMillis,
              )
            }
            return
          }
        }
      } catch (error) {
        reject(error)
      }
    }

    const runtime: VirtualRuntime = {
      now: () => clock.unsafeCurrentTimeMillis(),
      external: (effect) =>
        Effect.suspend(() => {
          pendingExternal += 1
          return effect.pipe(
            Effect.withClock(liveClock),
            Effect.ensuring(
              Effect.sync(() => {
                pendingExternal -= 1
                wake()
              }),
            ),
          )
        }),
    }

    scheduler.onWork = wake
    const fiber = Effect.runFork(Effect.withClock(program(runtime), clock), { scheduler })
    fiber.addObserver((done) => {
      exit = done
      wake()
    })
    waiting = true
    wake()
  })
