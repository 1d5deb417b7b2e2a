import { Context, Data, type Effect, type Stream } from "effect"
import type { RequestDocument } from "../domain/RequestDocument.js"
import type { RequestId } from "../domain/RequestId.js"
import type { StoreError } from "./StoreError.js"

/** A request document and the tag of the stored version it was read from (S3's ETag). */
export interface VersionedDocument {
  readonly document: RequestDocument
  readonly tag: string
}

export type RequestRead = Data.TaggedEnum<{
  Found: VersionedDocument
  Missing: {}
  /** The stored body is not a request document; `detail` names the problem. Never overwritten. */
  Invalid: { readonly detail: string }
}>
export const RequestRead = Data.taggedEnum<RequestRead>()

export type RequestWrite = Data.TaggedEnum<{
  Written: VersionedDocument
  /** The document changed (or appeared) since it was read; nothing was written. Re-read and re-apply. */
  Stale: {}
}>
export const RequestWrite = Data.taggedEnum<RequestWrite>()

/** Request documents at `requests/<requestId>.json`, written only with compare-and-set. */
export class RequestStore extends Context.Tag("run-index/RequestStore")<
  RequestStore,
  {
    /** Reads a document with its version tag. */
    readonly get: (requestId: RequestId) => Effect.Effect<RequestRead, StoreError>
    /**
     * Writes `document` only if the stored one still has `tag`; `version` is set to one more than
     * the stored version. Fields this project does not know are written back as they were read.
     */
    readonly compareAndSet: (
      requestId: RequestId,
      document: RequestDocument,
      tag: string,
    ) => Effect.Effect<RequestWrite, StoreError>
    /** Creates the document only if none exists (`Stale` when one does), with `version` 1. */
    readonly create: (
      requestId: RequestId,
      document: RequestDocument,
    ) => Effect.Effect<RequestWrite, StoreError>
    /**
     * The ids of the `limit` most recently modified documents, newest first. Reads the whole
     * listing (one page in memory at a time), so callers bound how often they ask.
     */
    readonly recentlyModified: (limit: number) => Effect.Effect<ReadonlyArray<RequestId>, StoreError>
    /**
     * The id of every stored request document, in key order, one page at a time (memory stays
     * bounded whatever the count). Objects under `requests/` that are not a document's key are skipped.
     */
    readonly list: Stream.Stream<RequestId, StoreError>
  }
>() {}
