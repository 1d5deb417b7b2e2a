/**
 * run-index as a library: the Promise facade for hosts that do not use Effect, and the Effect API
 * (domain, ports, programs and the adapters' layers) for those that do.
 */

export * as ObjectRunIndexStore from "./adapters/ObjectRunIndexStore.js"
export * as DirectoryObjectStore from "./adapters/objects/DirectoryObjectStore.js"
export * as MemoryObjectStore from "./adapters/objects/MemoryObjectStore.js"
export * as ObjectStore from "./adapters/objects/ObjectStore.js"
export * as S3Client from "./adapters/objects/S3Client.js"
export * as S3ObjectStore from "./adapters/objects/S3ObjectStore.js"
export {
  type ClaimOutcome,
  createRunIndex,
  type RunIndex,
  RunIndexInputError,
  type RunIndexOptions,
  RunIndexUnavailableError,
} from "./adapters/PromiseFacade.js"
export * as Stores from "./adapters/Stores.js"
export * from "./domain/EntryValidation.js"
export * from "./domain/RequestId.js"
export * from "./domain/Retention.js"
export * from "./domain/RunId.js"
export * from "./domain/RunIndexEntry.js"
export * from "./domain/RunIndexKey.js"
export * from "./domain/Timestamp.js"
export * from "./domain/WorkflowKind.js"
export * from "./ports/Retention.js"
export * from "./ports/RunIndexStore.js"
export * from "./ports/StoreError.js"
export * from "./programs/Inspection.js"
export * from "./programs/RunIndex.js"
