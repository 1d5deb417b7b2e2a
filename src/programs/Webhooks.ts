import {
  Cause,
  Clock,
  Data,
  Duration,
  Effect,
  Either,
  Metric,
  Option,
  Schedule,
  Schema,
  Stream,
} from "effect"
import { titleCarriesToken } from "../domain/CandidateSelection.js"
import { classifyRun } from "../domain/Classification.js"
import { laneOf, waitingDispatchFor } from "../domain/DispatchLane.js"
import { describeParseError } from "../domain/EntryValidation.js"
import { attemptsOf, type RequestDocument } from "../domain/RequestDocument.js"
import { RequestId } from "../domain/RequestId.js"
import { applyRunEvent, type PatchOutcome, type RunEvent } from "../domain/RunEventPatch.js"
import { timestampFromMillis } from "../domain/Timestamp.js"
import type { WorkflowKind } from "../domain/WorkflowKind.js"
import { RepositoryName } from "../domain/WorkflowRun.js"
import { type DeliveryId, WorkflowRunPayload } from "../domain/WorkflowRunPayload.js"
import { AttemptEvents } from "../ports/AttemptEvents.js"
import { DeliveriesInFlight } from "../ports/DeliveriesInFlight.js"
import { DeliveryLog, type ParkedDelivery } from "../ports/DeliveryLog.js"
import { DeliverySpool } from "../ports/DeliverySpool.js"
import { DispatchLanes } from "../ports/DispatchLanes.js"
import { RequestStore } from "../ports/RequestStore.js"
import { RunIndexStore } from "../ports/RunIndexStore.js"
import { StoreError } from "../ports/StoreError.js"
import { WebhookSettings } from "../ports/WebhookSettings.js"
import * as Metrics from "./Metrics.js"
import { retryTransient, updateRequestWith } from "./RequestUpdates.js"
import { claimRun } from "./RunIndex.js"

/** Where a run's request was found: the index first, then the bounded fallbacks, or nowhere. */
export type CorrelationSource = "index" | "lane" | "scan" | "branch" | "title" | "name" | "none"

/** A delivery whose body cannot be a `workflow_run` event: 400, and nothing changes. */
export class MalformedPayload extends Data.TaggedError("MalformedPayload")<{ readonly detail: string }> {
  override get message(): string {
    return `malformed workflow_run payload: ${this.detail}`
  }
}

export interface Delivery {
  readonly deliveryId: DeliveryId
  readonly event: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/**
 * How a `workflow_run` ended: `Unclassified` (no kind for its workflow), `NoRequest` (no request
 * found for it), or what patching the owning attempt did.
 */
export type WorkflowRunOutcome = "Unclassified" | "NoRequest" | PatchOutcome["_tag"]

export interface WorkflowRunHandled {
  readonly outcome: WorkflowRunOutcome
  readonly source: CorrelationSource
  readonly requestId: RequestId | null
  readonly kind: WorkflowKind | null
}

export type DeliveryResult =
  | { readonly _tag: "Duplicate" }
  | { readonly _tag: "Pong" }
  | { readonly _tag: "Ignored"; readonly event: string }
  | ({
      readonly _tag: "Processed"
    } & WorkflowRunHandled)
  | {
      /** It can never succeed as it is (its request document is invalid): kept, recorded, answered 2xx. */
      readonly _tag: "DeadLetter"
      readonly reason: string
      readonly detail: string
    }
  | {
      readonly _tag: "Parked"
      /** Why, in one word (`Throttled`, `Unavailable`, `Contended`, …): safe to show to the sender. */
      readonly reason: string
      /** Why, in full (store locations, parse errors): for the logs and the parked record only. */
      readonly detail: string
    }

const decodePayload = Schema.decodeUnknownEither(Schema.parseJson(WorkflowRunPayload))
const isRequestId = Schema.is(RequestId)
const decodeRepository = Schema.decodeUnknownOption(RepositoryName)

const runEventOf = (payload: WorkflowRunPayload): RunEvent => ({
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

/** Applies one `workflow_run` payload: classify, correlate, patch the owning attempt with compare-and-set. */
export const handleWorkflowRun = Effect.fnUntraced(function* (payload: WorkflowRunPayload) {
  const settings = yield* WebhookSettings
  const kind = classifyRun(
    { path: payload.workflow_run.path ?? "", name: payload.workflow_run.name ?? "" },
    settings.workflowFiles,
  )
  if (Option.isNone(kind)) {
    return {
      outcome: "Unclassified",
      source: "none",
      requestId: null,
      kind: null,
    } satisfies WorkflowRunHandled
  }
  const owner = yield* correlate(kind.value, payload)
  yield* Metric.increment(
    Metrics.correlations[
      Option.match(owner, { onNone: () => "none" as const, onSome: (each) => each.source })
    ],
  )
  if (Option.isNone(owner))
    return {
      outcome: "NoRequest",
      source: "none",
      requestId: null,
      kind: kind.value,
    } satisfies WorkflowRunHandled
  const { requestId, source, attempt } = owner.value
  yield* Effect.annotateCurrentSpan({ requestId, source })
  const event = runEventOf(payload)
  const final = yield* updateRequestWith(requestId, (document) => {
    const outcome = applyRunEvent(document, kind.value, event, settings.toleranceMillis, attempt)
    return {
      write: outcome._tag === "Patched" ? Option.some(outcome.document) : Option.none(),
      result: outcome,
    }
  }).pipe(
    Effect.map(({ result }): PatchOutcome => result),
    // A predicate, not a refinement: an invalid or contended document still fails (typed so).
    Effect.catchIf(
      (error) => error._tag === "RequestUnavailable" && error.reason === "Missing",
      () => Effect.succeed<PatchOutcome>({ _tag: "NoAttempt" }),
    ),
  )
  if (final._tag === "Patched" && final.events.length > 0) {
    const sink = yield* AttemptEvents
    yield* sink.publish(final.events.map((each) => ({ requestId, event: each })))
  }
  // Built only when info is logged: annotations cost more than a store call on the memory store.
  yield* Effect.whenLogLevel(
    Effect.logInfo("workflow_run handled").pipe(
      Effect.annotateLogs({
        runId: event.runId,
        runAttempt: event.runAttempt,
        kind: kind.value,
        requestId,
        source,
        outcome: final._tag,
      }),
    ),
    "Info",
  )
  return { outcome: final._tag, source, requestId, kind: kind.value } satisfies WorkflowRunHandled
})

const outcomeOf = (
  result: Either.Either<DeliveryResult, MalformedPayload | StoreError>,
): Metrics.DeliveryOutcome => {
  // A store error here came before processing or while parking: nothing was recorded, GitHub gets 503.
  if (Either.isLeft(result)) return result.left._tag === "MalformedPayload" ? "malformed" : "failed"
  switch (result.right._tag) {
    case "Duplicate":
      return "duplicate"
    case "Pong":
      return "pong"
    case "Ignored":
      return "ignored"
    case "Processed":
      return "processed"
    case "Parked":
      return "parked"
    case "DeadLetter":
      return "dead_letter"
  }
}

const recordedOutcomes = new Set<DeliveryResult["_tag"]>(["Processed", "Ignored", "Duplicate", "DeadLetter"])

/**
 * Processes one verified delivery: a duplicate changes nothing; `ping` is answered; other events are
 * recorded and ignored; a `workflow_run` is handled and only then recorded. A delivery that still
 * fails after bounded retries is parked with its headers and raw body for replay. Concurrent copies
 * of one delivery in this process (with `DeliveriesInFlight` provided) run once; the others wait and
 * answer as duplicates. Counted by outcome, and timed.
 */
export const processDelivery = Effect.fn("Webhooks.processDelivery", {
  // Nothing reads a span's stack on this path, and capturing one cost as much as a store call.
  captureStackTrace: false,
})(function* (delivery: Delivery, previousAttempts = 0) {
  // Milliseconds, not nanoseconds: TestClock cannot express the fractional instants jittered retries
  // leave behind as nanoseconds, and the histogram's first bucket is 1 ms anyway.
  const started = yield* Clock.currentTimeMillis
  const inFlight = yield* DeliveriesInFlight
  const run = yield* inFlight.once(
    delivery.deliveryId,
    Effect.either(
      deliver(delivery, previousAttempts).pipe(
        Effect.annotateLogs({ deliveryId: delivery.deliveryId, event: delivery.event }),
      ),
    ),
  )
  const settled = yield* run.result
  // A copy that waited for a run already under way: what that run recorded is a duplicate for this
  // one; what it did not record (parked, failed, a ping) is answered the same way.
  const result =
    run.first || Either.isLeft(settled) || !recordedOutcomes.has(settled.right._tag)
      ? settled
      : Either.right<DeliveryResult>({ _tag: "Duplicate" })
  const elapsedMillis = (yield* Clock.currentTimeMillis) - started
  const outcome = outcomeOf(result)
  yield* Metric.update(Metrics.processingSeconds[outcome], elapsedMillis / 1000)
  yield* Metric.increment(Metrics.deliveries[outcome])
  return yield* result
})

/**
 * Processes a delivery as far as it goes, in as few store calls as it can; any store failure on the
 * way is returned for `park`. There is no look for an earlier record first: a `workflow_run` is
 * applied (the patch rules make a repeat change nothing) and then recorded with a create-if-absent
 * write, which is where a duplicate shows — an index read, a document read and a compare-and-set
 * write, plus that record.
 */
const apply = Effect.fnUntraced(function* (delivery: Delivery) {
  const log = yield* DeliveryLog
  const recordFirst = (outcome: string) =>
    Effect.flatMap(Clock.currentTimeMillis, (millis) =>
      retryTransient(
        log.record({
          deliveryId: delivery.deliveryId,
          event: delivery.event,
          outcome,
          processedAt: timestampFromMillis(millis),
        }),
      ),
    )
  // Neither needs the store: a ping is answered and a malformed body refused even while it is down.
  if (delivery.event === "ping") return { _tag: "Pong" } as DeliveryResult
  if (delivery.event !== "workflow_run") {
    return (
      (yield* recordFirst("ignored")) ? { _tag: "Ignored", event: delivery.event } : { _tag: "Duplicate" }
    ) as DeliveryResult
  }
  const payload = decodePayload(delivery.body)
  if (Either.isLeft(payload)) return yield* new MalformedPayload({ detail: describeParseError(payload.left) })
  const handled = yield* handleWorkflowRun(payload.right)
  return (
    (yield* recordFirst(handled.outcome)) ? { _tag: "Processed", ...handled } : { _tag: "Duplicate" }
  ) as DeliveryResult
})

/**
 * Keeps a delivery that failed for replay: in the store's parking lot, or — when the store cannot
 * take it either, or does not answer within `WebhookSettings.parkWaitMillis` — in this instance's local spool, which
 * `drainSpool` moves to the store once it answers. The store is tried once: it has just failed, and
 * the spool answers at once. Only when both refuse does the delivery fail (the store's error;
 * nothing kept, GitHub's 503 is all that is left of it, for `deliveries recover` or a person to
 * redeliver).
 */
export const park = Effect.fnUntraced(function* (parked: ParkedDelivery, reason: string) {
  const log = yield* DeliveryLog
  const { parkWaitMillis } = yield* WebhookSettings
  yield* Effect.logWarning("delivery parked").pipe(
    Effect.annotateLogs({ deliveryId: parked.deliveryId, reason, detail: parked.reason }),
  )
  const result: DeliveryResult = { _tag: "Parked", reason, detail: parked.reason }
  const stored = yield* Effect.either(
    log.park(parked).pipe(
      Effect.timeoutFail({
        duration: Duration.millis(parkWaitMillis),
        onTimeout: () =>
          new StoreError({
            reason: "Unavailable",
            operation: "park",
            detail: `the store did not take the parked delivery within ${parkWaitMillis} ms`,
          }),
      }),
    ),
  )
  if (Either.isRight(stored)) return result
  yield* Metric.increment(Metrics.storeErrors[stored.left.reason])
  const spool = yield* DeliverySpool
  const spooled = yield* Effect.either(spool.keep(parked))
  if (Either.isLeft(spooled)) {
    yield* Effect.logError("delivery neither parked nor spooled: only a redelivery can bring it back").pipe(
      Effect.annotateLogs({
        deliveryId: parked.deliveryId,
        store: stored.left.message,
        spool: spooled.left.message,
      }),
    )
    return yield* stored.left
  }
  yield* Effect.logWarning("delivery spooled locally until the store answers").pipe(
    Effect.annotateLogs({ deliveryId: parked.deliveryId, store: stored.left.message }),
  )
  yield* Metric.set(Metrics.spooledDeliveries, (yield* spool.usage).deliveries)
  return result
})

/**
 * Keeps a delivery that can never succeed as it is, and records it as processed so that GitHub's
 * redeliveries are duplicates: a retry cannot repair an invalid request document, a person can.
 * `None` when the store cannot take it (then it is parked like any failure the store caused).
 */
const deadLetter = Effect.fnUntraced(function* (kept: ParkedDelivery, reason: string) {
  const log = yield* DeliveryLog
  const written = yield* Effect.either(
    Effect.zipRight(
      retryTransient(log.deadLetter(kept)),
      retryTransient(
        log.record({
          deliveryId: kept.deliveryId,
          event: "workflow_run",
          outcome: "DeadLetter",
          processedAt: kept.parkedAt,
        }),
      ),
    ),
  )
  if (Either.isLeft(written)) return Option.none<DeliveryResult>()
  yield* Effect.logWarning("delivery dead-lettered: it cannot succeed until its cause is repaired").pipe(
    Effect.annotateLogs({ deliveryId: kept.deliveryId, reason, detail: kept.reason }),
  )
  return Option.some<DeliveryResult>(
    written.right ? { _tag: "DeadLetter", reason, detail: kept.reason } : { _tag: "Duplicate" },
  )
})

const deliver = Effect.fnUntraced(function* (delivery: Delivery, previousAttempts: number) {
  const { processingBudgetMillis } = yield* WebhookSettings
  const applied = yield* Effect.either(
    apply(delivery).pipe(
      Effect.timeoutFail({
        duration: Duration.millis(processingBudgetMillis),
        onTimeout: () =>
          new StoreError({
            reason: "Unavailable",
            operation: "deliver",
            detail: `processing with its retries did not finish within ${processingBudgetMillis} ms`,
          }),
      }),
    ),
  )
  if (Either.isRight(applied)) return applied.right
  const failure = applied.left
  if (failure._tag === "MalformedPayload") return yield* failure
  const kept: ParkedDelivery = {
    deliveryId: delivery.deliveryId,
    headers: delivery.headers,
    body: delivery.body,
    reason: failure.message,
    parkedAt: timestampFromMillis(yield* Clock.currentTimeMillis),
    attempts: previousAttempts + 1,
  }
  if (failure._tag === "RequestUnavailable" && failure.reason === "Invalid") {
    const dead = yield* deadLetter(kept, failure.reason)
    if (Option.isSome(dead)) return dead.value
  }
  return yield* park(kept, failure.reason)
})

/**
 * Moves what this instance's spool holds to the store's parking lot, oldest first, stopping at the
 * first store failure (the store is still down; the rest stays spooled for the next pass). A
 * delivery moved twice (two processes draining one spool) is parked twice, which replaces it.
 */
export const drainSpool = Effect.fn("Webhooks.drainSpool")(function* () {
  const log = yield* DeliveryLog
  const spool = yield* DeliverySpool
  let moved = 0
  const drained = yield* Stream.runForEach(spool.spooled, (parked) =>
    Effect.zipRight(log.park(parked), spool.remove(parked.deliveryId)).pipe(
      Effect.tap(() => Effect.sync(() => (moved += 1))),
    ),
  ).pipe(Effect.either)
  const left = (yield* spool.usage).deliveries
  yield* Metric.set(Metrics.spooledDeliveries, left)
  if (moved > 0 || Either.isLeft(drained))
    yield* (Either.isLeft(drained) ? Effect.logWarning : Effect.logInfo)("spool drained to the store").pipe(
      Effect.annotateLogs({
        moved,
        stillSpooled: left,
        ...(Either.isLeft(drained) ? { stoppedBy: drained.left.message } : {}),
      }),
    )
  return { moved, stillSpooled: left }
})

/**
 * Moves the local spool to the store (`drainSpool`), then replays every parked delivery once (or
 * only `deliveryId`); those that now succeed are unparked, the others stay parked.
 */
export const replayParked = Effect.fn("Webhooks.replayParked")(function* (
  options: { readonly deliveryId?: DeliveryId } = {},
) {
  const log = yield* DeliveryLog
  yield* drainSpool()
  let replayed = 0
  let stillParked = 0
  let unreadable = 0
  const chosen =
    options.deliveryId === undefined
      ? log.parked
      : Stream.filter(log.parked, (parked) => parked.deliveryId === options.deliveryId)
  yield* Stream.runForEach(chosen, (parked) =>
    Effect.gen(function* () {
      if (parked._tag === "Unreadable") {
        // Left where it is, for a person: `deliveries ls` shows it, `deliveries drop` removes it.
        unreadable += 1
        yield* Effect.logWarning("parked object unreadable, left in place").pipe(
          Effect.annotateLogs({ deliveryId: parked.deliveryId, path: parked.path, reason: parked.reason }),
        )
        return
      }
      const result = yield* processDelivery(
        {
          deliveryId: parked.deliveryId,
          event: parked.headers["x-github-event"] ?? "workflow_run",
          headers: parked.headers,
          body: parked.body,
        },
        parked.attempts,
      ).pipe(Effect.either)
      if (Either.isRight(result) && result.right._tag === "Parked") {
        stillParked += 1
        yield* Metric.increment(Metrics.replays.still_parked)
        return
      }
      // Processed, a duplicate, or a body that can never succeed: it leaves the parking lot.
      yield* retryTransient(log.unpark(parked.deliveryId))
      replayed += 1
      yield* Metric.increment(Metrics.replays.applied)
    }),
  )
  if (options.deliveryId === undefined) yield* Metric.set(Metrics.parkedDeliveries, stillParked + unreadable)
  return { replayed, stillParked, unreadable }
})

/**
 * The waits between replay passes: `interval` while passes empty the parking lot; while deliveries
 * stay parked (or a pass fails) each wait doubles, up to 16 × `interval`; every wait is jittered
 * (× 0.8–1.2) so that several instances drift apart. Its input is whether the last pass emptied the lot.
 */
export const replayBackoff = (interval: Duration.DurationInput) =>
  Schedule.exponential(interval, 2).pipe(
    Schedule.union(Schedule.spaced(Duration.times(interval, 16))),
    Schedule.jittered,
    Schedule.zipRight(Schedule.identity<boolean>()),
    Schedule.resetWhen((emptied) => emptied),
  )

/**
 * Replays parked deliveries until interrupted: a pass at once, then one after each `replayBackoff`
 * wait. A pass that found something is logged with what it replayed and what stays parked; a pass
 * that fails is logged and backs off like one that left deliveries parked — the loop never stops.
 *
 * Several instances (or an operator's `deliveries replay`) may replay the same delivery at once, and
 * that is harmless: processing is idempotent (atomic claims, compare-and-set writes, patches that
 * only move forward), the record is written only after processing succeeded and says the same
 * whoever writes it, and unparking an unparked delivery succeeds. The slower replay sees a duplicate
 * or an unchanged attempt and publishes no attempt event; at worst it parks the delivery again, and
 * the next pass finds it a duplicate and unparks it.
 */
export const replayContinually = (interval: Duration.DurationInput) => {
  const pass = replayParked().pipe(
    Effect.tap(({ replayed, stillParked, unreadable }) =>
      (replayed + stillParked + unreadable > 0 ? Effect.logInfo : Effect.logDebug)("replay pass").pipe(
        Effect.annotateLogs({ replayed, stillParked, unreadable }),
      ),
    ),
    Effect.map(({ stillParked }) => stillParked === 0),
    Effect.catchAllCause((cause) =>
      Effect.as(
        Option.match(Cause.failureOption(cause), {
          // An expected failure (the store unreachable, …) is routine: one line, no stack trace.
          onSome: (error) =>
            Effect.logInfo("replay pass failed").pipe(
              Effect.annotateLogs({
                reason:
                  typeof error === "object" && error !== null && "reason" in error ? error.reason : "unknown",
                detail: error instanceof Error ? error.message : String(error),
              }),
            ),
          onNone: () => Effect.logWarning("replay pass failed", cause),
        }),
        false,
      ),
    ),
  )
  return Effect.repeat(pass, replayBackoff(interval))
}
