import { Context, Data, type Effect, type Option, type Stream } from "effect"
import type { DeleteFailure, DeleteTarget, StoreError } from "../../ports/StoreError.js"

export type { DeleteTarget } from "../../ports/StoreError.js"

/** A stored object's body and the tag that changes whenever the body does (S3's ETag). */
export interface StoredObject {
  readonly body: string
  readonly etag: string
}

/** When a write may happen: always, only if nothing is there, or only if the object is unchanged. */
export type WriteCondition = Data.TaggedEnum<{
  Always: {}
  IfAbsent: {}
  IfMatch: { readonly etag: string }
}>
export const WriteCondition = Data.taggedEnum<WriteCondition>()

export type WriteOutcome = Data.TaggedEnum<{
  Written: { readonly etag: string }
  /** The condition did not hold (S3 412); nothing was written. */
  PreconditionFailed: {}
}>
export const WriteOutcome = Data.taggedEnum<WriteOutcome>()

export interface ListedObject {
  readonly path: string
  /** When the object was last written, epoch ms (S3 and its listing: to the second). */
  readonly lastModified: number
  /**
   * This version of the object, for a conditional delete: S3's ETag (as the listing gives it), the
   * memory store's ETag, the directory store's file identity (inode, mtime and size: its ETag would
   * take reading the file). A rewrite changes it.
   */
  readonly version: string
}

/** How a store pages listings and batches deletes; today's S3 maxima unless a layer is told otherwise. */
export interface Paging {
  /** Keys per listing page (S3 `MaxKeys`); a listing's stream chunks are these pages. */
  readonly pageSize?: number
  /** Keys per batched delete (one S3 `DeleteObjects` call). */
  readonly deleteBatchSize?: number
}

export const defaultPageSize = 1000
export const defaultDeleteBatchSize = 1000

/** The paging a layer was given, defaults filled in; a size below 1 is a defect of the caller. */
export const pagingOf = (paging: Paging = {}): Required<Paging> => {
  const pageSize = paging.pageSize ?? defaultPageSize
  const deleteBatchSize = paging.deleteBatchSize ?? defaultDeleteBatchSize
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000)
    throw new RangeError(`pageSize must be a whole number from 1 to 1000, not ${pageSize}`)
  if (!Number.isInteger(deleteBatchSize) || deleteBatchSize < 1 || deleteBatchSize > 1000)
    throw new RangeError(`deleteBatchSize must be a whole number from 1 to 1000, not ${deleteBatchSize}`)
  return { pageSize, deleteBatchSize }
}

/**
 * The key → bytes store under every driven adapter (S3, a directory, memory). The run index,
 * request documents and delivery records are each a few rules on top of it, written once.
 */
export class ObjectStore extends Context.Tag("run-index/ObjectStore")<
  ObjectStore,
  {
    /** Reads an object; `None` when there is none. */
    readonly get: (path: string) => Effect.Effect<Option.Option<StoredObject>, StoreError>
    /** Writes a whole object under a condition; atomic: readers see the old body or the new one. */
    readonly put: (
      path: string,
      body: string,
      condition: WriteCondition,
    ) => Effect.Effect<WriteOutcome, StoreError>
    /** Removes an object; removing a missing one succeeds. */
    readonly delete: (path: string) => Effect.Effect<void, StoreError>
    /**
     * Removes many objects, missing ones included, in batches of the store's `deleteBatchSize` (S3:
     * one `DeleteObjects` call each). A target with a `version` is removed only if it is still that
     * version; one that changed is kept and returned with reason `Conflict`. A key the store refused
     * is returned, not raised; only a failed call is an error.
     */
    readonly deleteMany: (
      targets: ReadonlyArray<DeleteTarget>,
    ) => Effect.Effect<ReadonlyArray<DeleteFailure>, StoreError>
    /**
     * Objects under a prefix in lexicographic order, fetched a page of the store's `pageSize` at a
     * time; each chunk of the stream is one page.
     */
    readonly list: (prefix: string) => Stream.Stream<ListedObject, StoreError>
  }
>() {}
