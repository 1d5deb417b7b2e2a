import { Context, Data, type Effect, type Stream } from "effect"
import type { InvalidEntry } from "../domain/EntryValidation.js"
import type { RequestId } from "../domain/RequestId.js"
import type { RunIndexEntry } from "../domain/RunIndexEntry.js"
import type { RunIndexKey } from "../domain/RunIndexKey.js"
import type { WorkflowKind } from "../domain/WorkflowKind.js"
import type { DeleteFailure, DeleteTarget, StoreError } from "./StoreError.js"

/** What a read of one (kind, runId) found. */
export type Lookup = Data.TaggedEnum<{
  Found: { readonly entry: RunIndexEntry }
  Missing: {}
  Invalid: { readonly invalid: InvalidEntry }
}>
export const Lookup = Data.taggedEnum<Lookup>()

/** What a claim did. Only `Claimed` wrote anything. */
export type Claim = Data.TaggedEnum<{
  /** The entry did not exist and now maps the run to this request. */
  Claimed: { readonly entry: RunIndexEntry }
  /** The entry already mapped the run to this same request; nothing was written. */
  AlreadyYours: { readonly entry: RunIndexEntry }
  /** Another request owns the run; nothing was written. */
  OwnedByOther: { readonly entry: RunIndexEntry; readonly owner: RequestId }
  /** The slot holds a body that is not a valid entry; nothing was written, an operator must look. */
  Blocked: { readonly invalid: InvalidEntry }
}>
export const Claim = Data.taggedEnum<Claim>()

/**
 * One stored object under the index prefix, as a listing yields it with its body read. `version` is
 * the version the listing saw (S3: its ETag), for a delete that must not remove a later rewrite.
 */
export type Listed = Data.TaggedEnum<{
  Valid: { readonly path: string; readonly version: string; readonly entry: RunIndexEntry }
  Invalid: {
    readonly path: string
    readonly version: string
    readonly key: RunIndexKey | undefined
    readonly invalid: InvalidEntry
  }
}>
export const Listed = Data.taggedEnum<Listed>()

/** One stored object under the index prefix as the listing alone gives it: no body is read. */
export interface ListedKey {
  readonly path: string
  /** The (kind, runId) the path names; `undefined` for a key not of the index's own shape. */
  readonly key: RunIndexKey | undefined
  /** When the object was written, epoch ms (S3: to the second). Entries are written once. */
  readonly lastModified: number
  /** The version the listing saw (S3: its ETag), for `deleteMany`. */
  readonly version: string
}

export interface ListOptions {
  readonly kind?: WorkflowKind
}

/** The run index: one entry per (kind, runId), naming the request that owns the run. */
export class RunIndexStore extends Context.Tag("run-index/RunIndexStore")<
  RunIndexStore,
  {
    /** Reads one entry. Missing and invalid entries are results; only a store failure is an error. */
    readonly get: (key: RunIndexKey) => Effect.Effect<Lookup, StoreError>
    /** Writes an entry, replacing whatever was there (the seed's `putRunIndex`). Idempotent. */
    readonly put: (entry: RunIndexEntry) => Effect.Effect<void, StoreError>
    /**
     * Creates the entry only if none exists, atomically across processes and machines.
     * Re-claiming by the owner is `AlreadyYours` and changes nothing; an existing entry is never replaced.
     */
    readonly claim: (entry: RunIndexEntry) => Effect.Effect<Claim, StoreError>
    /** Removes an entry. Removing a missing entry succeeds. */
    readonly delete: (key: RunIndexKey) => Effect.Effect<void, StoreError>
    /**
     * Removes listed objects by the paths `list` or `listKeys` gave, invalid ones included, in the
     * store's batches (S3: 1,000 keys a `DeleteObjects` call by default). A target with the listed
     * `version` is removed only if unchanged since; one that changed is kept and returned with reason
     * `Conflict`. Missing paths count as removed. A path the store refused is returned and the rest
     * are still removed; only a failed call is an error. A path outside the index is a defect.
     */
    readonly deleteMany: (
      targets: ReadonlyArray<DeleteTarget>,
    ) => Effect.Effect<ReadonlyArray<DeleteFailure>, StoreError>
    /**
     * Every object under the index prefix (or one kind's folder), in key order, each body read and
     * judged; one chunk of the stream per page of the store's listing, so memory stays bounded by
     * the page size whatever the number of entries.
     */
    readonly list: (options?: ListOptions) => Stream.Stream<Listed, StoreError>
    /**
     * The same objects as `list`, from the listing alone (one store call a page, no body read); one
     * chunk of the stream per page.
     */
    readonly listKeys: (options?: ListOptions) => Stream.Stream<ListedKey, StoreError>
  }
>() {}
