/**
 * `run-index simulate`: thousands of requests through the real programs — `dispatchRun` (or the
 * check-then-put baseline), the webhook pipeline, parking and replay, reconcile — against the GitHub
 * simulator, on any object store, on a virtual clock. Then every invariant is checked against what
 * the simulator knows to be true.
 *
 * `instances` dispatcher-and-webhook instances share the store, each with its own in-process state
 * (its own builds of the store adapters) and two views of the store with latency and seeded faults:
 * its dispatcher's (the API that dispatches) and its webhook service's. Dispatches and deliveries
 * are spread over the instances. Under heavy faults the webhook services also see outages of the
 * request documents (the fault switch), so deliveries park and are replayed. GitHub creates each
 * run 0.3–6 s after its dispatch (rarely up to a minute), so runs appear out of dispatch order, and
 * delivers every `workflow_run` event after a random delay, sometimes twice.
 *
 * The checks are judged against GitHub's record of which dispatch created which run (with the
 * dispatch ledger naming the attempt of each call), never against what the stores say.
 *
 * Its parts: `World` (the fixed parameters), `Instances`, `Dispatches`, `Deliveries`, `EndState`.
 */
import { Cause, Context, Effect, Exit, FiberRef, Layer, Logger, LogLevel, Random, Ref, Stream } from "effect"
import * as MemoryObjectStore from "../../adapters/objects/MemoryObjectStore.js"
import { ObjectStore } from "../../adapters/objects/ObjectStore.js"
import { workflowKinds } from "../../domain/WorkflowKind.js"
import { WorkflowRunsGateway } from "../../ports/WorkflowRunsGateway.js"
import { reconcileAll } from "../../programs/Reconcile.js"
import { drainSpool, replayParked } from "../../programs/Webhooks.js"
import type * as FaultSwitch from "../adapters/FaultSwitch.js"
import * as GitHubSimulator from "../adapters/github/GitHubSimulator.js"
import type { CallTally } from "../adapters/SimulatedGitHub.js"
import { external, totalStoreOperations } from "../adapters/SimulatedObjectStore.js"
import type { ObservedPatch } from "../domain/SimulationInvariants.js"
import {
  histogramOf,
  type SimulationReport,
  type SimulationSettings,
  spreadOf,
} from "../domain/SimulationReport.js"
import { type Progress, startDeliveries } from "./Deliveries.js"
import { dispatchWorkload } from "./Dispatches.js"
import { DispatchLedger } from "./DispatchLedger.js"
import { checkEndState, groundTruth } from "./EndState.js"
import { makeInstance, storesOver } from "./Instances.js"
import { runVirtual, type VirtualRuntime } from "./VirtualRuntime.js"
import { workflowFiles, workflowNames } from "./Workload.js"
import {
  gitHubFaults,
  noLatency,
  ourActor,
  outage,
  repository,
  runCreationDelay,
  settleMillis,
  simulationEpoch,
  storeFaultProbability,
  storeLatency,
} from "./World.js"

/** Called as the run goes: requests whose dispatch ended, and webhook deliveries posted so far. */
export type SimulationProgress = (dispatched: number, delivered: number) => void

const simulation = (
  settings: SimulationSettings,
  objectsLayer: Layer.Layer<ObjectStore, unknown>,
  runtime: VirtualRuntime,
  onProgress: SimulationProgress,
) =>
  Effect.gen(function* () {
    const wallStart = performance.now()
    const { seed, faults } = settings
    const realIo = settings.store !== "memory"

    // The shared store, as every client reaches it.
    const rawObjects = Context.get(yield* Layer.build(objectsLayer), ObjectStore)
    const base = realIo ? external(rawObjects, runtime) : rawObjects
    // A store that cannot answer at all (no such bucket, no access) stops the run before it starts.
    yield* Stream.runDrain(Stream.take(base.list("requests/"), 1))
    let faultsOn = true
    const outageSwitch = yield* Ref.make<FaultSwitch.FaultSwitchState>({ on: false, prefix: "requests/" })
    const patches: Array<ObservedPatch> = []
    const ledger = new DispatchLedger()
    const check = yield* storesOver(base)

    // GitHub.
    const simulatorContext = yield* Layer.build(
      GitHubSimulator.layer({
        mode: settings.mode,
        seed,
        actor: ourActor,
        runCreationDelay,
        recordEvents: false,
        publishGranularity: "1 second",
        conclusions: { success: 80, failure: 15, cancelled: 5 },
        faults: gitHubFaults(faults),
        workflows: workflowKinds.map((kind) => ({
          repository,
          file: workflowFiles[kind],
          name: workflowNames[kind],
          ...(settings.token ? { runName: `${workflowNames[kind]} \${{ inputs.request_id }}` } : {}),
        })),
      }),
    )
    const simulator = Context.get(simulatorContext, GitHubSimulator.GitHubSimulator)
    const tally = yield* FiberRef.make<CallTally | undefined>(undefined)
    const storeTally = yield* FiberRef.make<{ operations: number } | undefined>(undefined)

    // The instances: each its own views, builds of the store adapters and GitHub client.
    const instanceSetting = {
      settings,
      base,
      latencyMillis: realIo ? noLatency : storeLatency,
      faultProbability: () => (faultsOn ? storeFaultProbability[faults] : 0),
      outageSwitch,
      gateway: Context.get(simulatorContext, WorkflowRunsGateway),
      tally,
      storeTally,
      ledger,
      onPatch: (patch: ObservedPatch) => patches.push(patch),
    }
    const instances = yield* Effect.forEach(
      Array.from({ length: settings.instances }, (_, number) => number),
      (number) => makeInstance(instanceSetting, number),
    )
    const first = instances[0]!
    const progress: Progress = {
      dispatched: 0,
      delivered: 0,
      show: () => onProgress(progress.dispatched, progress.delivered),
    }

    // Deliveries: every event GitHub publishes, posted to an instance after a delay, sometimes twice.
    const deliveries = yield* startDeliveries({ settings, instances, simulator, storeTally, progress })
    if (faults === "heavy") {
      const turn = (on: boolean) => Ref.update(outageSwitch, (state) => ({ ...state, on: on && faultsOn }))
      yield* Effect.forkScoped(
        Effect.zipRight(
          Effect.sleep(outage.firstAfterMillis),
          Effect.forever(
            Effect.gen(function* () {
              yield* turn(true)
              yield* Effect.sleep(outage.lastingMillis)
              yield* turn(false)
              yield* Effect.sleep(outage.everyMillis - outage.lastingMillis)
            }),
          ),
        ),
      )
    }

    // Dispatches: bursts of requests, at most `concurrency` dispatching at once.
    const dispatched = yield* dispatchWorkload({ settings, instances, simulator, tally, check, progress })
    yield* Effect.sleep(settleMillis)
    yield* deliveries.settled

    // The outage ends; GitHub's failed deliveries are redelivered; parked ones replayed; reconcile.
    faultsOn = false
    yield* simulator.clearFaults
    yield* Ref.update(outageSwitch, (state) => ({ ...state, on: false }))
    const redelivered = yield* deliveries.redeliverFailed
    // Each instance's spool goes to the store's parking lot, then one replay takes them all.
    yield* Effect.forEach(instances, (instance) => drainSpool().pipe(Effect.provide(instance.webhook)), {
      discard: true,
    })
    const replay = yield* replayParked().pipe(Effect.provide(first.webhook))
    const webhookOperations = instances.reduce(
      (sum, instance) => sum + totalStoreOperations(instance.webhookCounts),
      0,
    )
    const reconciled = yield* reconcileAll().pipe(Effect.provide(first.webhook))
    const simulatedSeconds = Math.round(runtime.now() - simulationEpoch) / 1000

    const truth = yield* groundTruth(simulator, ledger)
    const invariants = yield* checkEndState(truth, check, patches, deliveries.deliveryIds)
    const counts = yield* simulator.callCounts
    const gitHubCalls = counts.dispatch + counts.rejectedRunDetails + counts.listPages + counts.get
    const dispatcherOperations = instances.reduce(
      (sum, instance) => sum + totalStoreOperations(instance.dispatcherCounts),
      0,
    )
    const allWebhookOperations = instances.reduce(
      (sum, instance) => sum + totalStoreOperations(instance.webhookCounts),
      0,
    )
    const dispatches = dispatched.figures.total
    const posts = progress.delivered
    const { events, byOutcome, storeOperationsByOutcome } = deliveries.figures()

    return {
      settings,
      simulatedSeconds,
      dispatches: dispatched.figures,
      resolveSeconds: spreadOf(dispatched.resolveMillis.map((millis) => Math.round(millis) / 1000)),
      resolveHistogram: histogramOf(dispatched.resolveMillis.map((millis) => Math.round(millis) / 1000)),
      github: {
        calls: gitHubCalls,
        perDispatch: gitHubCalls / Math.max(1, dispatches),
        byOperation: {
          dispatch: counts.dispatch + counts.rejectedRunDetails,
          listPages: counts.listPages,
          get: counts.get,
        },
        failed: counts.failed,
        callsPerDispatch: dispatched.callsPerDispatch,
      },
      store: {
        perDispatch: dispatcherOperations / Math.max(1, dispatches),
        perDelivery: webhookOperations / Math.max(1, posts),
        perDeliveryByOutcome: Object.fromEntries(
          Object.entries(storeOperationsByOutcome).map(([outcome, total]) => [
            outcome,
            total / Math.max(1, byOutcome[outcome] ?? 0),
          ]),
        ),
        operations: dispatcherOperations + allWebhookOperations,
        faultsInjected: instances.reduce(
          (sum, instance) => sum + instance.dispatcherCounts.faults + instance.webhookCounts.faults,
          0,
        ),
      },
      deliveries: {
        events,
        ids: deliveries.deliveryIds.size,
        posts,
        byOutcome,
        redelivered,
        replayed: replay.replayed,
        stillParked: replay.stillParked,
      },
      reconcile: reconciled,
      instances: instances.map((instance) => ({
        dispatches: instance.dispatches,
        posts: instance.posts,
        storeOperations:
          totalStoreOperations(instance.dispatcherCounts) + totalStoreOperations(instance.webhookCounts),
      })),
      violations: invariants.violations,
      passed: Object.values(invariants.violations).every((count) => count === 0),
      examples: invariants.examples,
      wallClock: {
        seconds: (performance.now() - wallStart) / 1000,
        peakRssMegabytes: Math.round(process.resourceUsage().maxRSS / 1024),
      },
    } satisfies SimulationReport
  }).pipe(
    Effect.scoped,
    Effect.withRandom(Random.make(settings.seed)),
    Effect.withTracerEnabled(false),
    Logger.withMinimumLogLevel(LogLevel.None),
  )

/**
 * Runs a simulation on a virtual clock and resolves with its report. `objects` is the store to run
 * on; memory unless given (directory and S3 are real I/O: the same invariants, not the same replay).
 */
export const runSimulation = async (
  settings: SimulationSettings,
  objects: Layer.Layer<ObjectStore, unknown> = MemoryObjectStore.layerMemory,
  onProgress: SimulationProgress = () => {},
): Promise<SimulationReport> => {
  const exit = await runVirtual(simulationEpoch, (runtime) =>
    simulation(settings, objects, runtime, onProgress),
  )
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.squash(exit.cause)
  throw new Error(`simulation failed: ${failure instanceof Error ? failure.message : String(failure)}`, {
    cause: failure,
  })
}
