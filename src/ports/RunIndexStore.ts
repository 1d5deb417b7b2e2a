import { Context, Data, type Effect, type Stream } from "effect"
import type { InvalidEntry } from "../domain/EntryValidation.js"
import type { RequestId } from "../domain/RequestId.js"
import type { RunIndexEntry } from "../domain/RunIndexEntry.js"
import type { RunIndexKey } from "../domain/RunIndexKey.js"
import type { WorkflowKind } from "../domain/WorkflowKind.js"
import type { DeleteFailure, StoreError } from "./StoreError.js"

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

/** One stored object under the index prefix, as a listing yields it. */
export type Listed = Data.TaggedEnum<{
  Valid: { readonly path: string; readonly entry: RunIndexEntry }
  Invalid: { readonly path: string; readonly key: RunIndexKey | undefined; readonly invalid: InvalidEntry }
}>
export const Listed = Data.taggedEnum<Listed>()

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
     * Removes listed objects by the paths `list` gave, invalid ones included, in batches (S3: 1,000
     * keys a call). Missing paths count as removed. A path the store refused is returned and the rest
     * are still removed; only a failed call is an error. A path outside the index is a defect.
     */
    readonly deleteMany: (
      paths: ReadonlyArray<string>,
    ) => Effect.Effect<ReadonlyArray<DeleteFailure>, StoreError>
    /**
     * Every object under the index prefix (or one kind's folder), one page at a time, in key order.
     * Memory stays bounded by the page size whatever the number of entries.
     */
    readonly list: (options?: ListOptions) => Stream.Stream<Listed, StoreError>
  }
>() {}
