/**
 * The dispatcher-and-webhook instances of a simulation. Each has its own builds of the product's
 * store adapters (so its own in-process state) over its own views of the shared store and of
 * GitHub, and the rig's taps: the dispatcher tells the ledger which attempt it wrote, the webhook
 * side reports every attempt a write changed.
 */
import { Context, Effect, type FiberRef, Layer, type Ref } from "effect"
import * as InFlightDeliveries from "../../adapters/InFlightDeliveries.js"
import * as LocalDeliverySpool from "../../adapters/LocalDeliverySpool.js"
import * as ObjectDeliveryLog from "../../adapters/ObjectDeliveryLog.js"
import * as ObjectDispatchLanes from "../../adapters/ObjectDispatchLanes.js"
import * as ObjectRequestStore from "../../adapters/ObjectRequestStore.js"
import * as ObjectRunIndexStore from "../../adapters/ObjectRunIndexStore.js"
import { ObjectStore } from "../../adapters/objects/ObjectStore.js"
import type { RequestDocument } from "../../domain/RequestDocument.js"
import type { RequestId } from "../../domain/RequestId.js"
import { workflowKinds } from "../../domain/WorkflowKind.js"
import type { DeliveriesInFlight } from "../../ports/DeliveriesInFlight.js"
import type { DeliveryLog } from "../../ports/DeliveryLog.js"
import type { DeliverySpool } from "../../ports/DeliverySpool.js"
import type { DispatchLanes } from "../../ports/DispatchLanes.js"
import { RequestStore, type RequestWrite } from "../../ports/RequestStore.js"
import type { RunIndexStore } from "../../ports/RunIndexStore.js"
import { WorkflowRunsGateway } from "../../ports/WorkflowRunsGateway.js"
import * as FaultSwitch from "../adapters/FaultSwitch.js"
import { type CallTally, view as gitHubView } from "../adapters/SimulatedGitHub.js"
import {
  emptyStoreCounts,
  type StoreOperationCounts,
  view as storeView,
} from "../adapters/SimulatedObjectStore.js"
import * as UnheldDispatchLanes from "../adapters/UnheldDispatchLanes.js"
import type { ObservedPatch } from "../domain/SimulationInvariants.js"
import type { SimulationSettings } from "../domain/SimulationReport.js"
import type { DispatchLedger } from "./DispatchLedger.js"
import { gitHubLatency, instanceSalt, kindOfWorkflow } from "./World.js"

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

/**
 * The stores a client uses, over its view of the object store: a build of its own, as a process has.
 * Without `lanes`, dispatch lanes that never wait (the ablation).
 */
export const storesOver = (objects: ObjectStore["Type"], lanes = true) =>
  Layer.build(
    Layer.mergeAll(
      ObjectRunIndexStore.layer,
      ObjectRequestStore.layer,
      ObjectDeliveryLog.layer,
      lanes ? ObjectDispatchLanes.layer : UnheldDispatchLanes.layer,
    ).pipe(Layer.provide(Layer.succeed(ObjectStore, objects))),
  )

export type ClientContext = Context.Context<
  RunIndexStore | RequestStore | DeliveryLog | DispatchLanes | WorkflowRunsGateway
>

/** What the service's webhook side has besides: its in-flight dedupe and its local spool. */
export type WebhookContext = Context.Context<
  | RunIndexStore
  | RequestStore
  | DeliveryLog
  | DispatchLanes
  | WorkflowRunsGateway
  | DeliveriesInFlight
  | DeliverySpool
>

/** One dispatcher-and-webhook instance: its contexts, and what it did. */
export interface Instance {
  readonly dispatcher: ClientContext
  readonly webhook: WebhookContext
  readonly dispatcherCounts: StoreOperationCounts
  readonly webhookCounts: StoreOperationCounts
  dispatches: number
  posts: number
}

/** What every instance shares: the store, GitHub, the rig's records and the switches of the faults. */
export interface InstanceSetting {
  readonly settings: SimulationSettings
  readonly base: ObjectStore["Type"]
  readonly latencyMillis: { readonly min: number; readonly max: number }
  readonly faultProbability: () => number
  readonly outageSwitch: Ref.Ref<FaultSwitch.FaultSwitchState>
  readonly gateway: WorkflowRunsGateway["Type"]
  /** Where a dispatch counts its GitHub calls, and a delivery its store operations. */
  readonly tally: FiberRef.FiberRef<CallTally | undefined>
  readonly storeTally: FiberRef.FiberRef<{ operations: number } | undefined>
  readonly ledger: DispatchLedger
  readonly onPatch: (patch: ObservedPatch) => void
}

/** Instance `number`: its own views, builds of the store adapters and GitHub client. */
export const makeInstance = (setting: InstanceSetting, number: number) =>
  Effect.gen(function* () {
    const { settings, base, latencyMillis, faultProbability, ledger } = setting
    const seed = settings.seed
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
        tally: setting.storeTally,
      }),
      setting.outageSwitch,
    )
    const gateway = gitHubView(setting.gateway, {
      seed,
      salt: salt + 203,
      latencyMillis: gitHubLatency,
      tally: setting.tally,
      requestsPerDispatch: settings.mode === "ghes" ? 2 : 1,
      onDispatch: (request) => {
        const kind = kindOfWorkflow.get(request.workflow)
        const requestId = request.inputs.request_id
        if (kind !== undefined && requestId !== undefined) ledger.noteCall(requestId, kind)
      },
    })
    const dispatcherStores = yield* storesOver(dispatcherObjects, settings.lanes)
    const webhookStores = yield* storesOver(webhookObjects, settings.lanes)
    // As the service's: concurrent copies of a delivery run once per instance, and a delivery the
    // store cannot park is kept in the instance's spool (in memory here, bounded alike) for replay.
    const webhookLocal = yield* Layer.build(
      Layer.merge(InFlightDeliveries.layer, LocalDeliverySpool.layerMemory()),
    )
    const instance: Instance = {
      dispatcher: dispatcherStores.pipe(
        Context.add(RequestStore, noting(Context.get(dispatcherStores, RequestStore), ledger)),
        Context.add(WorkflowRunsGateway, gateway),
      ),
      webhook: webhookStores.pipe(
        Context.add(
          RequestStore,
          observingPatches(Context.get(webhookStores, RequestStore), setting.onPatch),
        ),
        Context.add(WorkflowRunsGateway, gateway),
        Context.merge(webhookLocal),
      ),
      dispatcherCounts,
      webhookCounts,
      dispatches: 0,
      posts: 0,
    }
    return instance
  })
