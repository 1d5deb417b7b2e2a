import { Context, Data, type Effect, type Option, type Stream } from "effect"
import type { DeleteFailure, StoreError } from "../../ports/StoreError.js"

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
  /** Orders modifications: epoch ms on S3 and the directory, a write counter in memory. */
  readonly lastModified: number
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
     * Removes many objects, missing ones included, in as few calls as the store allows (S3: 1,000
     * keys a call). A key the store refused is returned, not raised; only a failed call is an error.
     */
    readonly deleteMany: (
      paths: ReadonlyArray<string>,
    ) => Effect.Effect<ReadonlyArray<DeleteFailure>, StoreError>
    /** Paths under a prefix in lexicographic order, fetched a page at a time. */
    readonly list: (prefix: string) => Stream.Stream<ListedObject, StoreError>
  }
>() {}
