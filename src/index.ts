/**
 * run-index as a library: the Promise facade for hosts that do not use Effect, and the Effect API
 * (domain, ports, programs and the adapters' layers) for those that do.
 */

export * as AttemptEventHub from "./adapters/AttemptEventHub.js"
export * as OctokitClient from "./adapters/github/OctokitClient.js"
export * as OctokitGateway from "./adapters/github/OctokitGateway.js"
export * as InFlightDeliveries from "./adapters/InFlightDeliveries.js"
export * as ObjectDeliveryLog from "./adapters/ObjectDeliveryLog.js"
export * as ObjectRequestStore from "./adapters/ObjectRequestStore.js"
export * as ObjectRunIndexStore from "./adapters/ObjectRunIndexStore.js"
export * as DirectoryObjectStore from "./adapters/objects/DirectoryObjectStore.js"
export * as MemoryObjectStore from "./adapters/objects/MemoryObjectStore.js"
export * as ObjectStore from "./adapters/objects/ObjectStore.js"
export * as S3BucketLifecycle from "./adapters/objects/S3BucketLifecycle.js"
export * as S3Client from "./adapters/objects/S3Client.js"
export * as S3ObjectStore from "./adapters/objects/S3ObjectStore.js"
export * as UnsupportedBucketLifecycle from "./adapters/objects/UnsupportedBucketLifecycle.js"
export {
  type ClaimOutcome,
  type RunIndex,
  RunIndexInputError,
  type RunIndexOptions,
  RunIndexUnavailableError,
} from "./adapters/PromiseFacade.js"
export { createRunIndex } from "./app/Library.js"
export * as Stores from "./app/Stores.js"
export * from "./domain/CandidateSelection.js"
export * from "./domain/Classification.js"
export * from "./domain/EntryValidation.js"
export * from "./domain/LifecycleRule.js"
export * from "./domain/RequestDocument.js"
export * from "./domain/RequestId.js"
export * from "./domain/Retention.js"
export * from "./domain/RunEventPatch.js"
export * from "./domain/RunId.js"
export * from "./domain/RunIndexEntry.js"
export * from "./domain/RunIndexKey.js"
export * from "./domain/Timestamp.js"
export * from "./domain/WorkflowKind.js"
export * from "./domain/WorkflowRun.js"
export * from "./domain/WorkflowRunPayload.js"
export * from "./ports/AttemptEvents.js"
export * from "./ports/BucketLifecycle.js"
export * from "./ports/DeliveriesInFlight.js"
export * from "./ports/DeliveryLog.js"
export * from "./ports/RequestStore.js"
export * from "./ports/Retention.js"
export * from "./ports/RunIndexStore.js"
export * from "./ports/StoreError.js"
export * from "./ports/WebhookSettings.js"
export * from "./ports/WorkflowRunsGateway.js"
export * from "./programs/Backfill.js"
export * from "./programs/DispatchRun.js"
export * from "./programs/Inspection.js"
export * from "./programs/Lifecycle.js"
export * from "./programs/Reconcile.js"
export * from "./programs/RequestUpdates.js"
export * from "./programs/RunIndex.js"
export * from "./programs/Sweep.js"
export * from "./programs/Webhooks.js"
// The one part of the simulation (src/simulation/) the library exports: an in-memory GitHub, the test
// double of WorkflowRunsGateway for hosts that test their own programs over it.
export * as GitHubSimulator from "./simulation/adapters/github/GitHubSimulator.js"
