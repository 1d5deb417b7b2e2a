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
 */
import {
  Cause,
  Context,
  Effect,
  Either,
  Exit,
  FiberRef,
  FiberSet,
  Layer,
  Logger,
  LogLevel,
  Option,
  Queue,
  Random,
  Ref,
  Schema,
  Stream,
} from "effect"
import * as ObjectDeliveryLog from "../../adapters/ObjectDeliveryLog.js"
import * as ObjectDispatchLanes from "../../adapters/ObjectDispatchLanes.js"
import * as ObjectRequestStore from "../../adapters/ObjectRequestStore.js"
import * as ObjectRunIndexStore from "../../adapters/ObjectRunIndexStore.js"
import * as MemoryObjectStore from "../../adapters/objects/MemoryObjectStore.js"
import { ObjectStore } from "../../adapters/objects/ObjectStore.js"
import type { RequestDocument } from "../../domain/RequestDocument.js"
import type { RequestId } from "../../domain/RequestId.js"
import { workflowKinds } from "../../domain/WorkflowKind.js"
import { RepositoryName } from "../../domain/WorkflowRun.js"
import { DeliveryId } from "../../domain/WorkflowRunPayload.js"
import { DeliveryLog } from "../../ports/DeliveryLog.js"
import type { DispatchLanes } from "../../ports/DispatchLanes.js"
import { RequestStore, type RequestWrite } from "../../ports/RequestStore.js"
import { RunIndexStore } from "../../ports/RunIndexStore.js"
import { WorkflowRunsGateway } from "../../ports/WorkflowRunsGateway.js"
import { type DispatchRunInput, type DispatchRunResult, dispatchRun } from "../../programs/DispatchRun.js"
import { reconcileAll } from "../../programs/Reconcile.js"
import { processDelivery, replayParked } from "../../programs/Webhooks.js"
import * as FaultSwitch from "../adapters/FaultSwitch.js"
import * as GitHubSimulator from "../adapters/github/GitHubSimulator.js"
import { type CallTally, view as gitHubView } from "../adapters/SimulatedGitHub.js"
import {
  emptyStoreCounts,
  external,
  type StoreOperationCounts,
  view as storeView,
  totalStoreOperations,
} from "../adapters/SimulatedObjectStore.js"
import * as UnheldDispatchLanes from "../adapters/UnheldDispatchLanes.js"
import {
  type GroundTruth,
  makeInvariantChecker,
  type ObservedPatch,
  type RunState,
} from "../domain/SimulationInvariants.js"
import {
  type FaultLevel,
  histogramOf,
  type SimulationReport,
  type SimulationSettings,
  spreadOf,
} from "../domain/SimulationReport.js"
import { dispatchCheckThenPut } from "../programs/CheckThenPutBaseline.js"
import { DispatchLedger } from "./DispatchLedger.js"
import { runVirtual, type VirtualRuntime } from "./VirtualRuntime.js"
import {
  instanceFor,
  type PlannedRequest,
  planPosts,
  planWorkload,
  workflowFiles,
  workflowNames,
} from "./Workload.js"

/** Where simulated time starts: a fixed instant, so reports do not depend on when they were made. */
const simulationEpoch = Date.UTC(2026, 2, 2)

const repository = Schema.decodeSync(RepositoryName)("acme/infra")
const makeDeliveryId = Schema.decodeSync(DeliveryId)

/** Simulated store latency; a real store (directory, S3) brings its own, so it gets none on top. */
const storeLatency = { min: 5, max: 40 }
const noLatency = { min: 0, max: 0 }
const gitHubLatency = { min: 80, max: 400 }
/** From a dispatch to its run on GitHub (204 and GHES modes): mostly seconds, sometimes a minute. */
const runCreationDelay: GitHubSimulator.DelayRange = {
  min: "300 millis",
  max: "6 seconds",
  tail: { probability: 0.02, max: "60 seconds" },
}
/** The login our dispatches run as; foreign dispatches use it too. */
const ourActor = "run-index-bot"
/** Keeps each instance's seeded draws (store faults, latencies) apart from the others'. */
const instanceSalt = 1000
/** After the last request: every run finishes and every delivery, however late, arrives. */
const settleMillis = 20 * 60_000
const secondAttemptAfterMillis = 40_000
/** Reads in flight while checking the end state (they matter on a real store). */
const checkConcurrency = 16
const rerunAfterMillis = 150_000
/** Heavy faults: the webhook service loses the request documents for 30 s every 4 minutes, from 20 s in. */
const outage = { firstAfterMillis: 20_000, lastingMillis: 30_000, everyMillis: 240_000 } as const

const storeFaultProbability: Readonly<Record<FaultLevel, number>> = { none: 0, light: 0.01, heavy: 0.05 }

const gitHubFaults = (level: FaultLevel): ReadonlyArray<GitHubSimulator.FaultSpec> =>
  level === "none"
    ? []
    : level === "light"
      ? [{ operation: "any", kind: "server-error", probability: 0.02 }]
      : [
          { operation: "any", kind: "server-error", probability: 0.05 },
          { operation: "list", kind: "rate-limit", probability: 0.02 },
          { operation: "get", kind: "rate-limit", probability: 0.02 },
          { operation: "dispatch", kind: "timeout-after-create", probability: 0.03 },
          { operation: "dispatch", kind: "rate-limit", probability: 0.01 },
        ]

const kindOfWorkflow = new Map(workflowKinds.map((kind) => [workflowFiles[kind], kind] as const))

const increment = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1
}

const outcomeName = (tag: string) => tag.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase()

/** The request store, reporting every attempt a write changes (webhook deliveries and reconcile). */
const observingPatches = (
  store: RequestStore["Type"],
  onPatch: (patch: ObservedPatch) => void,
): RequestStore["Type"] => {
  // The document each version tag was read with, to see what a compare-and-set changes.
  const readWith = new Map<string, RequestDocument>()
  return RequestStore.of({
    ...store,
    get: (requestId) =>
      Effect.tap(store.get(requestId), (read) =>
        Effect.sync(() => {
          if (read._tag !== "Found") return
          readWith.set(read.tag, read.document)
          if (readWith.size > 10_000) readWith.delete(readWith.keys().next().value!)
        }),
      ),
    compareAndSet: (requestId, document, tag) =>
      Effect.tap(store.compareAndSet(requestId, document, tag), (written) =>
        Effect.sync(() => {
          if (written._tag !== "Written") return
          const before = readWith.get(tag)
          readWith.delete(tag)
          for (const kind of workflowKinds) {
            const earlier = new Map((before?.runs[kind]?.attempts ?? []).map((each) => [each.attempt, each]))
            for (const attempt of document.runs[kind]?.attempts ?? []) {
              if (JSON.stringify(earlier.get(attempt.attempt)) === JSON.stringify(attempt)) continue
              onPatch({ requestId, kind, attempt: attempt.attempt, runId: attempt.runId })
            }
          }
        }),
      ),
  })
}

/** The dispatcher's request store, telling the ledger the attempts it writes. */
const noting = (store: RequestStore["Type"], ledger: DispatchLedger): RequestStore["Type"] => {
  const note = (requestId: RequestId) => (written: RequestWrite) =>
    Effect.sync(() => {
      if (written._tag === "Written") ledger.noteWritten(requestId, written.document)
    })
  return RequestStore.of({
    ...store,
    compareAndSet: (requestId, document, tag) =>
      Effect.tap(store.compareAndSet(requestId, document, tag), note(requestId)),
    create: (requestId, document) => Effect.tap(store.create(requestId, document), note(requestId)),
  })
}

const sleepUntil = (at: number) =>
  Effect.flatMap(
    Effect.clockWith((clock) => clock.currentTimeMillis),
    (now) => (at > now ? Effect.sleep(at - now) : Effect.void),
  )

/**
 * The stores a client uses, over its view of the object store: a build of its own, as a process has.
 * Without `lanes`, dispatch lanes that never wait (the ablation).
 */
const storesOver = (objects: ObjectStore["Type"], lanes = true) =>
  Layer.build(
    Layer.mergeAll(
      ObjectRunIndexStore.layer,
      ObjectRequestStore.layer,
      ObjectDeliveryLog.layer,
      lanes ? ObjectDispatchLanes.layer : UnheldDispatchLanes.layer,
    ).pipe(Layer.provide(Layer.succeed(ObjectStore, objects))),
  )

/** What is true at the end: GitHub's state of every run, and which attempt's dispatch created each. */
const groundTruth = (simulator: GitHubSimulator.GitHubSimulator["Type"], ledger: DispatchLedger) =>
  Effect.gen(function* () {
    const runs = new Map<number, RunState>(
      (yield* simulator.runs).map((run) => [
        run.id,
        { status: run.status, conclusion: run.conclusion, runAttempt: run.runAttempt },
      ]),
    )
    const creators = ledger.creators(yield* simulator.dispatchedRequests, (workflow) =>
      kindOfWorkflow.get(workflow),
    )
    return {
      creatorOf: (runId) => creators.get(runId),
      run: (runId) => runs.get(runId),
    } satisfies GroundTruth
  })

/** Checks every request document, index entry, observed patch and delivery posted against the truth. */
const checkEndState = (
  truth: GroundTruth,
  check: Context.Context<RequestStore | DeliveryLog | RunIndexStore>,
  patches: ReadonlyArray<ObservedPatch>,
  deliveryIds: Iterable<string>,
) =>
  Effect.gen(function* () {
    const checker = makeInvariantChecker(truth)
    const store = Context.get(check, RequestStore)
    const log = Context.get(check, DeliveryLog)
    yield* store.list().pipe(
      Stream.mapEffect(
        (requestId) => Effect.map(store.get(requestId), (read) => [requestId, read] as const),
        {
          concurrency: checkConcurrency,
        },
      ),
      Stream.runForEach(([requestId, read]) =>
        Effect.sync(() => {
          if (read._tag === "Found") checker.addDocument(requestId, read.document)
        }),
      ),
    )
    yield* Stream.runForEach(Context.get(check, RunIndexStore).list(), (listed) =>
      Effect.sync(() => {
        if (listed._tag === "Valid")
          checker.addIndexEntry(listed.entry.kind, listed.entry.runId, listed.entry.requestId)
      }),
    )
    for (const patch of patches) checker.addPatch(patch)
    const parked = new Set<string>()
    yield* Stream.runForEach(log.parked, (each) => Effect.sync(() => parked.add(each.deliveryId)))
    yield* Effect.forEach(
      deliveryIds,
      (deliveryId) =>
        Effect.map(log.processed(makeDeliveryId(deliveryId)), (processed) =>
          checker.addDelivery(deliveryId, Option.isSome(processed) || parked.has(deliveryId)),
        ),
      { concurrency: checkConcurrency, discard: true },
    )
    return checker.result()
  })

type ClientContext = Context.Context<
  RunIndexStore | RequestStore | DeliveryLog | DispatchLanes | WorkflowRunsGateway
>

/** One dispatcher-and-webhook instance: its contexts, and what it did. */
interface Instance {
  readonly dispatcher: ClientContext
  readonly webhook: ClientContext
  readonly dispatcherCounts: StoreOperationCounts
  readonly webhookCounts: StoreOperationCounts
  dispatches: number
  posts: number
}

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
    const faultProbability = () => (faultsOn ? storeFaultProbability[faults] : 0)
    const latencyMillis = realIo ? noLatency : storeLatency
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
    const makeInstance = (number: number) =>
      Effect.gen(function* () {
        const salt = number * instanceSalt
        const dispatcherCounts = emptyStoreCounts()
        const webhookCounts = emptyStoreCounts()
        const dispatcherObjects = storeView(base, {
          seed,
          salt: salt + 201,
          latencyMillis,
          faultProbability,
          counts: dispatcherCounts,
        })
        const webhookObjects = FaultSwitch.wrap(
          storeView(base, {
            seed,
            salt: salt + 202,
            latencyMillis,
            faultProbability,
            counts: webhookCounts,
            tally: storeTally,
          }),
          outageSwitch,
        )
        const gateway = gitHubView(Context.get(simulatorContext, WorkflowRunsGateway), {
          seed,
          salt: salt + 203,
          latencyMillis: gitHubLatency,
          tally,
          requestsPerDispatch: settings.mode === "ghes" ? 2 : 1,
          onDispatch: (request) => {
            const kind = kindOfWorkflow.get(request.workflow)
            const requestId = request.inputs.request_id
            if (kind !== undefined && requestId !== undefined) ledger.noteCall(requestId, kind)
          },
        })
        const dispatcherStores = yield* storesOver(dispatcherObjects, settings.lanes)
        const webhookStores = yield* storesOver(webhookObjects, settings.lanes)
        const instance: Instance = {
          dispatcher: dispatcherStores.pipe(
            Context.add(RequestStore, noting(Context.get(dispatcherStores, RequestStore), ledger)),
            Context.add(WorkflowRunsGateway, gateway),
          ),
          webhook: webhookStores.pipe(
            Context.add(
              RequestStore,
              observingPatches(Context.get(webhookStores, RequestStore), (patch) => patches.push(patch)),
            ),
            Context.add(WorkflowRunsGateway, gateway),
          ),
          dispatcherCounts,
          webhookCounts,
          dispatches: 0,
          posts: 0,
        }
        return instance
      })
    const instances = yield* Effect.forEach(
      Array.from({ length: settings.instances }, (_, number) => number),
      makeInstance,
    )
    const first = instances[0]!

    // Deliveries: every event GitHub publishes, posted to an instance after a delay, sometimes twice.
    const byOutcome: Record<string, number> = {}
    const storeOperationsByOutcome: Record<string, number> = {}
    const deliveryIds = new Set<string>()
    const failed = new Map<string, string>()
    let events = 0
    let posts = 0
    let dispatchesEnded = 0
    const deliver = (instance: Instance, deliveryId: string, body: string) =>
      Effect.gen(function* () {
        posts += 1
        onProgress(dispatchesEnded, posts)
        instance.posts += 1
        const operations = { operations: 0 }
        const result = yield* processDelivery({
          deliveryId: makeDeliveryId(deliveryId),
          event: "workflow_run",
          headers: { "x-github-event": "workflow_run", "x-github-delivery": deliveryId },
          body,
        }).pipe(Effect.provide(instance.webhook), Effect.either, Effect.locally(storeTally, operations))
        const outcome = Either.isLeft(result)
          ? "failed"
          : outcomeName(result.right._tag === "Processed" ? result.right.outcome : result.right._tag)
        increment(byOutcome, outcome)
        storeOperationsByOutcome[outcome] = (storeOperationsByOutcome[outcome] ?? 0) + operations.operations
        if (Either.isLeft(result)) {
          failed.set(deliveryId, body)
          return
        }
        failed.delete(deliveryId)
      })
    const inFlight = yield* FiberSet.make<void>()
    const subscription = yield* simulator.subscribe
    yield* Effect.forkScoped(
      Effect.forever(
        Effect.gen(function* () {
          for (const event of yield* Queue.takeBetween(subscription, 1, 1024)) {
            events += 1
            const body = JSON.stringify(event)
            const planned = planPosts(events, seed, faults)
            for (const [copy, post] of planned.entries()) {
              deliveryIds.add(post.deliveryId)
              const instance = instances[instanceFor(instances.length, seed, events, copy)]!
              yield* FiberSet.run(
                inFlight,
                Effect.zipRight(Effect.sleep(post.delayMillis), deliver(instance, post.deliveryId, body)),
              )
            }
          }
        }),
      ),
    )
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
    const resolveMillis: Array<number> = []
    const callsPerDispatch: Record<string, number> = {}
    const errors: Record<string, number> = {}
    let dispatches = 0
    let resolved = 0
    let unresolved = 0
    let refused = 0
    let secondAttempts = 0
    let reruns = 0
    let noiseRuns = 0
    let foreignRuns = 0

    const dispatchOnce = (request: PlannedRequest, dispatchNumber: number) =>
      Effect.gen(function* () {
        dispatches += 1
        const instance = instances[instanceFor(instances.length, seed, request.index, dispatchNumber)]!
        instance.dispatches += 1
        const calls: CallTally = { calls: 0 }
        const input: DispatchRunInput = {
          kind: request.kind,
          requestId: request.requestId,
          repository,
          workflow: workflowFiles[request.kind],
          ref: request.ref,
          inputs: { request_id: request.requestId },
          requireToken: settings.token,
        }
        const outcome = yield* (
          settings.strategy === "claim" ? dispatchRun(input) : dispatchCheckThenPut(input)
        ).pipe(
          Effect.ensuring(
            Effect.sync(() => {
              dispatchesEnded += 1
              onProgress(dispatchesEnded, posts)
            }),
          ),
          Effect.locally(tally, calls),
          Effect.provide(instance.dispatcher),
          Effect.either,
          // A defect (a bug) is counted and shown, never lost with its fiber.
          Effect.catchAllDefect((defect) =>
            Effect.as(
              Effect.sync(() =>
                increment(
                  errors,
                  `defect: ${(defect instanceof Error ? defect.message : String(defect)).split("\n")[0]!.slice(0, 120)}`,
                ),
              ),
              undefined,
            ),
          ),
        )
        increment(callsPerDispatch, String(calls.calls))
        if (outcome === undefined) return
        if (Either.isRight(outcome)) {
          const result: DispatchRunResult = outcome.right
          if (Option.isSome(result.resolvedAfterMillis)) {
            resolved += 1
            resolveMillis.push(result.resolvedAfterMillis.value)
          } else unresolved += 1
          return
        }
        const error = outcome.left
        if (error._tag === "DispatchRefused") refused += 1
        else increment(errors, "reason" in error ? `${error._tag}:${error.reason}` : error._tag)
      })

    const rerunFirstRun = (request: PlannedRequest) =>
      Effect.gen(function* () {
        const read = yield* Effect.provide(
          Effect.flatMap(RequestStore, (store) => store.get(request.requestId)),
          check,
        )
        const runId = read._tag === "Found" ? read.document.runs[request.kind]?.attempts[0]?.runId : undefined
        if (runId === undefined) return
        const rerun = yield* Effect.either(simulator.rerun(runId))
        if (Either.isRight(rerun)) reruns += 1
      })

    const permits = yield* Effect.makeSemaphore(settings.concurrency)
    const lifecycles = yield* FiberSet.make<void, unknown>()
    const lifecycle = (request: PlannedRequest) =>
      Effect.gen(function* () {
        yield* Effect.ensuring(dispatchOnce(request, 1), permits.release(1))
        if (request.secondAttempt) {
          yield* Effect.sleep(secondAttemptAfterMillis)
          secondAttempts += 1
          yield* permits.withPermits(1)(dispatchOnce(request, 2))
        }
        if (request.rerun) {
          yield* Effect.sleep(rerunAfterMillis)
          yield* rerunFirstRun(request)
        }
      })
    // Someone else dispatching with our identity, without lanes: a run no request of ours asked for.
    const foreignDispatch = (workflow: string, branch: string, afterMillis: number) =>
      Effect.zipRight(
        Effect.sleep(afterMillis),
        Effect.zipRight(
          Effect.sync(() => {
            foreignRuns += 1
          }),
          simulator.addNoiseRun({
            repository,
            workflow,
            event: "workflow_dispatch",
            branch,
            actor: ourActor,
          }),
        ),
      )

    for (const burst of planWorkload(settings.requests, seed, {
      foreignDispatches: settings.foreignDispatches,
    })) {
      yield* sleepUntil(simulationEpoch + burst.at)
      if (burst.noise !== undefined) {
        noiseRuns += 1
        yield* simulator.addNoiseRun({
          repository,
          workflow: workflowFiles[burst.kind],
          event: burst.noise,
          branch: burst.ref,
          actor: "someone-else",
        })
      }
      if (burst.foreignAfterMillis !== undefined) {
        yield* FiberSet.run(
          lifecycles,
          foreignDispatch(workflowFiles[burst.kind], burst.ref, burst.foreignAfterMillis),
        )
      }
      for (const request of burst.requests) {
        yield* sleepUntil(simulationEpoch + request.at)
        yield* permits.take(1)
        yield* FiberSet.run(lifecycles, lifecycle(request))
      }
    }
    yield* FiberSet.awaitEmpty(lifecycles)
    yield* Effect.sleep(settleMillis)
    yield* FiberSet.awaitEmpty(inFlight)

    // The outage ends; GitHub's failed deliveries are redelivered; parked ones replayed; reconcile.
    faultsOn = false
    yield* simulator.clearFaults
    yield* Ref.update(outageSwitch, (state) => ({ ...state, on: false }))
    const redeliveries = [...failed]
    yield* Effect.forEach(
      redeliveries,
      ([deliveryId, body], position) =>
        deliver(instances[instanceFor(instances.length, seed, -1, position)]!, deliveryId, body),
      { concurrency: 8, discard: true },
    )
    const replay = yield* replayParked().pipe(Effect.provide(first.webhook))
    const webhookOperations = instances.reduce(
      (sum, instance) => sum + totalStoreOperations(instance.webhookCounts),
      0,
    )
    const reconciled = yield* reconcileAll().pipe(Effect.provide(first.webhook))
    const simulatedSeconds = Math.round(runtime.now() - simulationEpoch) / 1000

    const truth = yield* groundTruth(simulator, ledger)
    const invariants = yield* checkEndState(truth, check, patches, deliveryIds)
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

    return {
      settings,
      simulatedSeconds,
      dispatches: {
        total: dispatches,
        resolved,
        unresolved,
        refused,
        errors,
        secondAttempts,
        reruns,
        noiseRuns,
        foreignRuns,
      },
      resolveSeconds: spreadOf(resolveMillis.map((millis) => Math.round(millis) / 1000)),
      resolveHistogram: histogramOf(resolveMillis.map((millis) => Math.round(millis) / 1000)),
      github: {
        calls: gitHubCalls,
        perDispatch: gitHubCalls / Math.max(1, dispatches),
        byOperation: {
          dispatch: counts.dispatch + counts.rejectedRunDetails,
          listPages: counts.listPages,
          get: counts.get,
        },
        failed: counts.failed,
        callsPerDispatch,
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
        ids: deliveryIds.size,
        posts,
        byOutcome,
        redelivered: redeliveries.length,
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
