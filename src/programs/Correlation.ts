/** Which request owns a `workflow_run`: the run index, the dispatch lane, then bounded fallbacks. */
import { Clock, Effect, Metric, Option, Schema } from "effect"
import { titleCarriesToken } from "../domain/CandidateSelection.js"
import { laneOf, waitingDispatchFor } from "../domain/DispatchLane.js"
import { attemptsOf, type RequestDocument } from "../domain/RequestDocument.js"
import { RequestId } from "../domain/RequestId.js"
import { applyRunEvent, type RunEvent } from "../domain/RunEventPatch.js"
import type { WorkflowKind } from "../domain/WorkflowKind.js"
import { RepositoryName } from "../domain/WorkflowRun.js"
import type { WorkflowRunPayload } from "../domain/WorkflowRunPayload.js"
import { DispatchLanes } from "../ports/DispatchLanes.js"
import { RequestStore } from "../ports/RequestStore.js"
import { RunIndexStore } from "../ports/RunIndexStore.js"
import type { StoreError } from "../ports/StoreError.js"
import { WebhookSettings } from "../ports/WebhookSettings.js"
import * as Metrics from "./Metrics.js"
import { retryTransient } from "./RequestUpdates.js"
import { claimRun } from "./RunIndex.js"

/** Where a run's request was found: the index first, then the bounded fallbacks, or nowhere. */
export type CorrelationSource = "index" | "lane" | "scan" | "branch" | "title" | "name" | "none"
const isRequestId = Schema.is(RequestId)
const decodeRepository = Schema.decodeUnknownOption(RepositoryName)

export const runEventOf = (payload: WorkflowRunPayload): RunEvent => ({
  runId: payload.workflow_run.id,
  runAttempt: payload.workflow_run.run_attempt,
  status: payload.workflow_run.status,
  conclusion: payload.workflow_run.conclusion,
  headSha: payload.workflow_run.head_sha,
  htmlUrl: payload.workflow_run.html_url,
  repository: payload.repository.full_name,
  createdAt: payload.workflow_run.created_at.getTime(),
  updatedAt: payload.workflow_run.updated_at.getTime(),
})

const isWordCharacter = (code: number) =>
  (code >= 48 && code <= 57) || // 0-9
  (code >= 65 && code <= 90) || // A-Z
  (code >= 97 && code <= 122) || // a-z
  code === 95 || // _
  code === 46 || // .
  code === 45 // -

/** A request id is at most this long; longer words are skipped without a look. */
const longestRequestId = 128

/**
 * Words of a title or name that could be request ids (runs of `[A-Za-z0-9_.-]`, trailing dots
 * dropped, at least 3 characters), distinct, in order, at most `limit`. One pass over the text by
 * hand: titles come from anyone who can push a workflow, and a regex stripping trailing dots from
 * every word (`/\.+$/`) is quadratic on a title of dots.
 */
export const candidateIds = (text: string | null, limit: number): ReadonlyArray<RequestId> => {
  const found = new Set<RequestId>()
  if (text === null) return []
  let position = 0
  while (position < text.length && found.size < limit) {
    while (position < text.length && !isWordCharacter(text.charCodeAt(position))) position += 1
    const start = position
    while (position < text.length && isWordCharacter(text.charCodeAt(position))) position += 1
    let end = position
    while (end > start && text.charCodeAt(end - 1) === 46) end -= 1
    if (end - start < 3 || end - start > longestRequestId) continue
    const word = text.slice(start, end)
    if (isRequestId(word)) found.add(word)
  }
  return [...found]
}

/** Whether the request's document can take this run: an attempt of the kind holds it or may attach it. */
const canTake = (document: RequestDocument, kind: WorkflowKind, event: RunEvent, toleranceMillis: number) => {
  const outcome = applyRunEvent(document, kind, event, toleranceMillis)
  return outcome._tag !== "NoAttempt" && outcome._tag !== "OtherRepository"
}

/** Who owns a run, how that was found, and — when a lane named the dispatch — which attempt. */
export interface Owner {
  readonly requestId: RequestId
  readonly source: CorrelationSource
  readonly attempt?: number
}

/**
 * Finds the request that owns a run: the run index, then — on a miss — the lane of the run's
 * (repository, workflow, branch): one read, and when a dispatch there is waiting for a run like this
 * one, the run is claimed for it. Then the bounded fallbacks: for destroy and only when enabled
 * (`destroyScanLimit` > 0, for deployments migrating from before the index), a scan of recently
 * modified requests for an attempt holding the run; then the branch `request/<id>`, a request id in
 * the title, then in the workflow name, each only when that request exists and can take the run. A
 * fallback hit claims the index entry, healing it. Store operations never grow with the number of
 * request documents, except in the opt-in scan.
 *
 * `correlate`, `handleWorkflowRun` and the store calls under them are untraced: a delivery has one
 * span, `Webhooks.processDelivery`, annotated with what they found. Each further span per delivery
 * cost about as much CPU as the store call it wrapped (bench "webhook").
 */
export const correlate = Effect.fnUntraced(function* (kind: WorkflowKind, payload: WorkflowRunPayload) {
  const index = yield* RunIndexStore
  const requests = yield* RequestStore
  const lanes = yield* DispatchLanes
  const settings = yield* WebhookSettings
  const event = runEventOf(payload)
  const found = (requestId: RequestId, source: CorrelationSource, attempt?: number) =>
    Option.some<Owner>(attempt === undefined ? { requestId, source } : { requestId, source, attempt })

  const entry = yield* retryTransient(index.get({ kind, runId: event.runId }))
  yield* Metric.increment(
    Metrics.indexLookups[entry._tag === "Found" ? "hit" : entry._tag === "Missing" ? "miss" : "invalid"],
  )
  if (entry._tag === "Found") return found(entry.entry.requestId, "index")

  const run = payload.workflow_run
  const repository = decodeRepository(event.repository)
  if (
    run.event === "workflow_dispatch" &&
    Option.isSome(repository) &&
    run.head_branch !== null &&
    run.path !== null &&
    run.path !== ""
  ) {
    const lane = laneOf(repository.value, run.path, run.head_branch)
    const record = yield* retryTransient(lanes.read(lane))
    const now = yield* Clock.currentTimeMillis
    const waiting = Option.flatMap(record, (each) =>
      waitingDispatchFor(
        each,
        {
          event: run.event,
          actor: run.actor?.login ?? null,
          triggeringActor: run.triggering_actor?.login ?? null,
          createdAt: event.createdAt,
          titleCarries: (requestId) => titleCarriesToken(run.display_title ?? "", requestId),
        },
        now,
        settings.toleranceMillis,
      ),
    )
    if (Option.isSome(waiting) && waiting.value.kind === kind) {
      const holder = waiting.value
      const claim = yield* retryTransient(claimRun({ kind, runId: event.runId, requestId: holder.requestId }))
      if (claim._tag === "OwnedByOther") return found(claim.owner, "index")
      if (claim._tag === "Claimed" || claim._tag === "AlreadyYours") {
        // A dispatch that gave up polling is not coming back for its lane: free it on its behalf.
        if (holder.awaiting) {
          yield* retryTransient(
            lanes.settle(lane, holder.token, {
              runId: event.runId,
              rendersRequestId: titleCarriesToken(run.display_title ?? "", holder.requestId),
            }),
          )
        }
        return found(holder.requestId, "lane", holder.attempt)
      }
    }
  }

  const readable = (requestId: RequestId) =>
    Effect.map(retryTransient(requests.get(requestId)), (read) =>
      read._tag === "Found" ? Option.some(read.document) : Option.none(),
    )
  const firstThatCanTake = (ids: ReadonlyArray<RequestId>, holdsRun: boolean) =>
    Effect.findFirst(ids, (requestId) =>
      Effect.map(readable(requestId), (document) =>
        Option.exists(document, (each) =>
          holdsRun
            ? attemptsOf(each, kind).some((attempt) => attempt.runId === event.runId)
            : canTake(each, kind, event, settings.toleranceMillis),
        ),
      ),
    )

  const fallbacks: ReadonlyArray<
    readonly [CorrelationSource, Effect.Effect<Option.Option<RequestId>, StoreError>]
  > = [
    [
      "scan",
      kind === "destroy" && settings.destroyScanLimit > 0
        ? Effect.flatMap(retryTransient(requests.recentlyModified(settings.destroyScanLimit)), (ids) =>
            firstThatCanTake(ids, true),
          )
        : Effect.succeedNone,
    ],
    [
      "branch",
      Option.match(Option.fromNullable(/^request\/(.+)$/.exec(payload.workflow_run.head_branch ?? "")?.[1]), {
        onNone: () => Effect.succeedNone,
        onSome: (id) => (isRequestId(id) ? firstThatCanTake([id], false) : Effect.succeedNone),
      }),
    ],
    [
      "title",
      Effect.suspend(() =>
        firstThatCanTake(candidateIds(payload.workflow_run.display_title, settings.titleWordLimit), false),
      ),
    ],
    [
      "name",
      Effect.suspend(() =>
        firstThatCanTake(candidateIds(payload.workflow_run.name, settings.titleWordLimit), false),
      ),
    ],
  ]
  for (const [source, lookup] of fallbacks) {
    const requestId = yield* lookup
    if (Option.isNone(requestId)) continue
    // Self-healing: the index learns the mapping; if someone else claimed it meanwhile, they own it.
    const claim = yield* retryTransient(claimRun({ kind, runId: event.runId, requestId: requestId.value }))
    if (claim._tag === "OwnedByOther") return found(claim.owner, "index")
    return found(requestId.value, source)
  }
  return Option.none<Owner>()
})
