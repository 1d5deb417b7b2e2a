import { assert, describe, it } from "@effect/vitest"
import { Chunk, Clock, Effect, Fiber, Layer, Metric, Option, Queue, Schema, Stream, TestClock } from "effect"
import * as AttemptEventHubLayer from "../../src/adapters/AttemptEventHub.js"
import { AttemptEventHub } from "../../src/adapters/AttemptEventHub.js"
import * as LocalDeliverySpool from "../../src/adapters/LocalDeliverySpool.js"
import { ObjectStore, WriteCondition } from "../../src/adapters/objects/ObjectStore.js"
import type { WorkflowKind } from "../../src/domain/WorkflowKind.js"
import { DeliveryId } from "../../src/domain/WorkflowRunPayload.js"
import { DeliveryLog } from "../../src/ports/DeliveryLog.js"
import { DeliverySpool } from "../../src/ports/DeliverySpool.js"
import { RequestStore } from "../../src/ports/RequestStore.js"
import { RunIndexStore } from "../../src/ports/RunIndexStore.js"
import { StoreError } from "../../src/ports/StoreError.js"
import { WebhookSettings } from "../../src/ports/WebhookSettings.js"
import { dispatchRun } from "../../src/programs/DispatchRun.js"
import * as Metrics from "../../src/programs/Metrics.js"
import { reconcileRequest } from "../../src/programs/Reconcile.js"
import { drainSpool, processDelivery, replayParked } from "../../src/programs/Webhooks.js"
import * as GitHubSimulator from "../../src/simulation/adapters/github/GitHubSimulator.js"
import { entry, requestId, runId } from "../support/fixtures.js"
import { requestDocumentWithRun, workflowRunPayload } from "../support/payloads.js"
import { joinWhileTimePasses, passTime } from "../support/time.js"
import { attemptOf, repository, world } from "../support/world.js"

const summary = (result: object) => ({ ...result }) as Record<string, unknown>

let deliveries = 0
const delivery = (payload: unknown, event = "workflow_run") => ({
  deliveryId: Schema.decodeSync(DeliveryId)(`d-${++deliveries}`),
  event,
  headers: { "x-github-event": event },
  body: JSON.stringify(payload),
})

/** Dispatches, lets every run finish, and returns the events GitHub would have sent. */
const dispatchAndFinish = (id: string, kind: WorkflowKind, workflow: string) =>
  Effect.gen(function* () {
    const simulator = yield* GitHubSimulator.GitHubSimulator
    const result = yield* dispatchRun({
      kind,
      requestId: requestId(id),
      repository,
      workflow,
      ref: "main",
      inputs: { request_id: id },
    })
    yield* TestClock.adjust("2 minutes")
    const runId = Option.getOrThrow(result.runId)
    return (yield* simulator.publishedEvents).filter((event) => event.workflow_run.id === runId)
  })

describe("webhook processing", () => {
  it.effect(
    "the events of a run, shuffled and duplicated, leave the attempt completed exactly as GitHub says",
    () =>
      Effect.gen(function* () {
        const events = yield* dispatchAndFinish("req_hooks", "apply", "apply.yml")
        assert.strictEqual(events.length, 3)
        const shuffled = [events[2]!, events[0]!, events[2]!, events[1]!, events[0]!]
        for (const event of shuffled) yield* processDelivery(delivery(event))
        const attempt = yield* attemptOf("req_hooks", "apply")
        const last = events[2]!.workflow_run
        assert.deepStrictEqual(
          [attempt?.status, attempt?.conclusion, attempt?.completedAt, attempt?.runAttempt],
          ["completed", last.conclusion, new Date(last.updated_at).toISOString(), 1],
        )
      }).pipe(Effect.provide(world({ mode: "run-details" }))),
  )

  it.effect("a processed delivery is a duplicate the second time and changes nothing", () =>
    Effect.gen(function* () {
      const events = yield* dispatchAndFinish("req_dup", "apply", "apply.yml")
      const same = delivery(events[1])
      const first = yield* processDelivery(same)
      assert.strictEqual(first._tag, "Processed")
      assert.strictEqual((yield* processDelivery(same))._tag, "Duplicate")
    }).pipe(Effect.provide(world({ mode: "run-details" }))),
  )

  it.effect("a run with no index entry is found by its title, and the index heals", () =>
    Effect.gen(function* () {
      const events = yield* dispatchAndFinish("req_title", "apply", "apply.yml")
      const id = events[0]!.workflow_run.id
      yield* (yield* RunIndexStore).delete({ kind: "apply", runId: runId(id) })
      const result = yield* processDelivery(delivery(events[1]))
      assert.deepInclude(summary(result), { _tag: "Processed", source: "title", requestId: "req_title" })
      const entry = yield* (yield* RunIndexStore).get({ kind: "apply", runId: runId(id) })
      assert.strictEqual(entry._tag === "Found" ? entry.entry.requestId : entry._tag, requestId("req_title"))
    }).pipe(Effect.provide(world({ mode: "run-details" }))),
  )

  it.effect("a destroy run with no index entry is found by scanning recent requests for its run id", () =>
    Effect.gen(function* () {
      const events = yield* dispatchAndFinish("req_scan", "destroy", "destroy.yml")
      yield* (yield* RunIndexStore).delete({ kind: "destroy", runId: runId(events[0]!.workflow_run.id) })
      const result = yield* processDelivery(delivery(events[2])).pipe(
        Effect.provideService(WebhookSettings, { ...WebhookSettings.defaultValue(), destroyScanLimit: 200 }),
      )
      assert.deepInclude(summary(result), { _tag: "Processed", source: "scan", requestId: "req_scan" })
    }).pipe(Effect.provide(world({ mode: "run-details" }))),
  )

  it.effect(
    "the scan of recent requests is off unless enabled: a destroy run with no entry finds nothing",
    () =>
      Effect.gen(function* () {
        const events = yield* dispatchAndFinish("req_noscan", "destroy", "destroy.yml")
        yield* (yield* RunIndexStore).delete({ kind: "destroy", runId: runId(events[0]!.workflow_run.id) })
        const result = yield* processDelivery(delivery(events[2]))
        assert.deepInclude(summary(result), { _tag: "Processed", source: "none", requestId: null })
      }).pipe(Effect.provide(world({ mode: "run-details" }))),
  )

  it.effect(
    "a late run of a dispatch whose polls ended goes to it through its lane, and only then does the next dispatch on the lane start",
    () =>
      Effect.gen(function* () {
        const simulator = yield* GitHubSimulator.GitHubSimulator
        const destroy = (id: string) =>
          dispatchRun({
            kind: "destroy",
            requestId: requestId(id),
            repository,
            workflow: "destroy.yml",
            ref: "main",
            inputs: { request_id: id },
          })
        const late = yield* Effect.fork(destroy("req_late"))
        assert.strictEqual((yield* joinWhileTimePasses(late)).source, "unresolved")
        const next = yield* Effect.fork(destroy("req_next"))
        yield* passTime("25 seconds")
        assert.isTrue(
          Option.isNone(yield* Fiber.poll(next)),
          "the next dispatch waits while the lane awaits a run",
        )
        assert.strictEqual((yield* simulator.dispatchedRequests).length, 1)

        // A stranger's run on the same workflow and branch is never the waiting dispatch's.
        const stranger = yield* simulator.addNoiseRun({
          repository,
          workflow: "destroy.yml",
          event: "workflow_dispatch",
          branch: "main",
          actor: "someone-else",
        })
        const published = yield* simulator.publishedEvents
        const strangers = published.filter((event) => event.workflow_run.id === stranger.id)
        const ignored = yield* processDelivery(delivery(strangers[0]))
        assert.deepInclude(summary(ignored), { _tag: "Processed", source: "none" })

        const lateRun = Option.getOrThrow((yield* simulator.dispatchedRequests)[0]!.runId)
        const requested = published.find((event) => event.workflow_run.id === lateRun)!
        const result = yield* processDelivery(delivery(requested))
        assert.deepInclude(summary(result), { _tag: "Processed", source: "lane", requestId: "req_late" })
        assert.strictEqual((yield* attemptOf("req_late", "destroy"))?.runId, lateRun)

        const settledAt = yield* Clock.currentTimeMillis
        assert.strictEqual((yield* joinWhileTimePasses(next)).source, "unresolved")
        const second = (yield* simulator.dispatchedRequests)[1]!
        assert.isAtLeast(second.at, settledAt, "dispatched only once the late run had gone to its dispatch")
        yield* passTime("1 minute")
        const nextRun = Option.getOrThrow((yield* simulator.dispatchedRequests)[1]!.runId)
        const nextRequested = (yield* simulator.publishedEvents).find(
          (event) => event.workflow_run.id === nextRun,
        )!
        const nextResult = yield* processDelivery(delivery(nextRequested))
        assert.deepInclude(summary(nextResult), { _tag: "Processed", source: "lane", requestId: "req_next" })
      }).pipe(Effect.provide(world({ mode: "no-run-details", runCreationDelay: "40 seconds" }))),
  )

  it.effect("a run on the branch request/<id> attaches to that request's unresolved attempt", () =>
    Effect.gen(function* () {
      const simulator = yield* GitHubSimulator.GitHubSimulator
      const fiber = yield* Effect.fork(
        dispatchRun({
          kind: "destroy",
          requestId: requestId("req_branch"),
          repository,
          workflow: "destroy.yml",
          ref: "main",
          inputs: {},
        }),
      )
      assert.strictEqual((yield* joinWhileTimePasses(fiber)).source, "unresolved")
      yield* passTime("2 minutes")
      const created = (yield* simulator.publishedEvents)[0]!
      const onBranch = {
        ...created,
        workflow_run: {
          ...created.workflow_run,
          id: created.workflow_run.id + 7,
          head_branch: "request/req_branch",
        },
      }
      const result = yield* processDelivery(delivery(onBranch))
      assert.deepInclude(summary(result), { source: "branch", requestId: "req_branch" })
      assert.strictEqual((yield* attemptOf("req_branch", "destroy"))?.runId, runId(onBranch.workflow_run.id))
    }).pipe(Effect.provide(world({ mode: "no-run-details", runCreationDelay: "90 seconds" }))),
  )

  it.effect("an event from another repository never patches the attempt", () =>
    Effect.gen(function* () {
      const events = yield* dispatchAndFinish("req_repo", "apply", "apply.yml")
      const foreign = { ...events[2]!, repository: { full_name: "evil/fork" } }
      const result = yield* processDelivery(delivery(foreign))
      assert.deepInclude(summary(result), { _tag: "Processed", outcome: "OtherRepository" })
      assert.strictEqual((yield* attemptOf("req_repo", "apply"))?.status, "queued")
    }).pipe(Effect.provide(world({ mode: "run-details" }))),
  )

  it.effect("ping is answered, other events are recorded and ignored, a malformed body fails", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* processDelivery(delivery({ zen: "hi" }, "ping")))._tag, "Pong")
      const push = delivery({ ref: "main" }, "push")
      assert.strictEqual((yield* processDelivery(push))._tag, "Ignored")
      assert.isTrue(Option.isSome(yield* (yield* DeliveryLog).processed(push.deliveryId)))
      const malformed = yield* Effect.either(processDelivery(delivery({ workflow_run: { id: "x" } })))
      assert.isTrue(malformed._tag === "Left" && malformed.left._tag === "MalformedPayload")
    }).pipe(Effect.provide(world())),
  )

  it.effect(
    "when the request document is invalid the delivery is a dead letter, and once it is repaired reconcile brings the attempt to GitHub's state",
    () =>
      Effect.gen(function* () {
        const events = yield* dispatchAndFinish("req_park", "apply", "apply.yml")
        const objects = yield* ObjectStore
        const good = yield* objects.get("requests/req_park.json")
        yield* objects.put("requests/req_park.json", "corrupt", WriteCondition.Always())
        const failing = delivery(events[2])
        assert.strictEqual((yield* processDelivery(failing))._tag, "DeadLetter")
        assert.deepStrictEqual(yield* replayParked(), { replayed: 0, stillParked: 0, unreadable: 0 })
        // The operator repairs the document (here: puts back what it was); reconcile asks GitHub.
        yield* objects.put("requests/req_park.json", Option.getOrThrow(good).body, WriteCondition.Always())
        assert.deepInclude(yield* reconcileRequest(requestId("req_park")), { checked: 1, patched: 1 })
        assert.strictEqual((yield* attemptOf("req_park", "apply"))?.status, "completed")
      }).pipe(Effect.provide(world({ mode: "run-details" }))),
  )

  it.effect(
    "when the store cannot take the change the delivery is parked, not recorded, and a replay finishes it",
    () =>
      Effect.gen(function* () {
        const events = yield* dispatchAndFinish("req_throttled", "apply", "apply.yml")
        const failing = delivery(events[2])
        const store = yield* RequestStore
        const throttled = new StoreError({ reason: "Throttled", operation: "get", detail: "SlowDown" })
        const parked = yield* Effect.fork(
          processDelivery(failing).pipe(
            Effect.provideService(RequestStore, { ...store, get: () => Effect.fail(throttled) }),
          ),
        )
        yield* TestClock.adjust("1 minute")
        assert.strictEqual((yield* Fiber.join(parked))._tag, "Parked")
        assert.isTrue(Option.isNone(yield* (yield* DeliveryLog).processed(failing.deliveryId)))
        assert.deepStrictEqual(yield* replayParked(), { replayed: 1, stillParked: 0, unreadable: 0 })
        assert.strictEqual((yield* attemptOf("req_throttled", "apply"))?.status, "completed")
        assert.isTrue(Option.isSome(yield* (yield* DeliveryLog).processed(failing.deliveryId)))
      }).pipe(Effect.provide(world({ mode: "run-details" }))),
  )

  it.effect("deliveries, index lookups, store errors and processing time are counted", () =>
    Effect.gen(function* () {
      const count = (counter: Metric.Metric.Counter<number>) =>
        Effect.map(Metric.value(counter), (state) => state.count)
      const timed = Effect.all({
        processed: Metric.value(Metrics.processingSeconds.processed),
        duplicate: Metric.value(Metrics.processingSeconds.duplicate),
        ignored: Metric.value(Metrics.processingSeconds.ignored),
      }).pipe(
        Effect.map(({ processed, duplicate, ignored }) => [processed.count, duplicate.count, ignored.count]),
      )
      const before = {
        processed: yield* count(Metrics.deliveries.processed),
        duplicate: yield* count(Metrics.deliveries.duplicate),
        hit: yield* count(Metrics.indexLookups.hit),
        throttled: yield* count(Metrics.storeErrors.Throttled),
        timed: yield* timed,
      }
      const objects = yield* ObjectStore
      yield* objects.put(
        "requests/req_counted.json",
        JSON.stringify(requestDocumentWithRun("plan", 7100)),
        WriteCondition.Always(),
      )
      yield* (yield* RunIndexStore).claim(entry("plan", 7100, "req_counted"))
      const once = delivery(workflowRunPayload({ id: 7100, kind: "plan", status: "in_progress" }))
      yield* processDelivery(once)
      yield* processDelivery(once)
      const log = yield* DeliveryLog
      let calls = 0
      const flaky = Effect.provideService(DeliveryLog, {
        ...log,
        record: (record) =>
          Effect.suspend(() =>
            ++calls === 1
              ? Effect.fail(new StoreError({ reason: "Throttled", operation: "put", detail: "SlowDown" }))
              : log.record(record),
          ),
      })
      const retried = yield* Effect.fork(processDelivery(delivery({ ref: "main" }, "push")).pipe(flaky))
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(retried))._tag, "Ignored")
      assert.deepStrictEqual(
        {
          processed: (yield* count(Metrics.deliveries.processed)) - before.processed,
          duplicate: (yield* count(Metrics.deliveries.duplicate)) - before.duplicate,
          hit: (yield* count(Metrics.indexLookups.hit)) - before.hit,
          throttled: (yield* count(Metrics.storeErrors.Throttled)) - before.throttled,
          timed: (yield* timed).map((count, outcome) => count - (before.timed[outcome] ?? 0)),
        },
        // A redelivery is applied again (changing nothing) before its record shows it a duplicate.
        { processed: 1, duplicate: 1, hit: 2, throttled: 1, timed: [1, 1, 1] },
      )
    }).pipe(Effect.provide(world())),
  )

  it.effect(
    "a delivery whose request document is invalid is a dead letter: kept, recorded, not parked, and a redelivery is a duplicate",
    () =>
      Effect.gen(function* () {
        const objects = yield* ObjectStore
        const log = yield* DeliveryLog
        yield* objects.put(
          "requests/req_invalid.json",
          '{"version":1,"runs":"nope"}',
          WriteCondition.Always(),
        )
        yield* (yield* RunIndexStore).claim(entry("plan", 7300, "req_invalid"))
        const before = (yield* Metric.value(Metrics.deliveries.dead_letter)).count
        const doomed = delivery(workflowRunPayload({ id: 7300, kind: "plan", status: "in_progress" }))
        const first = yield* processDelivery(doomed)
        assert.deepInclude({ ...first }, { _tag: "DeadLetter", reason: "Invalid" })
        assert.strictEqual((yield* processDelivery(doomed))._tag, "Duplicate")
        assert.strictEqual(
          Option.getOrUndefined(yield* log.processed(doomed.deliveryId))?.outcome,
          "DeadLetter",
        )
        assert.strictEqual(yield* Stream.runCount(log.parked), 0)
        assert.deepStrictEqual(
          Array.from(yield* Stream.runCollect(log.deadLetters)).map((each) => [
            each._tag,
            each.deliveryId,
            each._tag === "Readable" ? each.body : "",
          ]),
          [["Readable", doomed.deliveryId, doomed.body]],
        )
        assert.strictEqual((yield* Metric.value(Metrics.deliveries.dead_letter)).count - before, 1)
      }).pipe(Effect.provide(world())),
  )

  it.effect("one deadline bounds a delivery with all its retries: past it, the delivery is parked", () =>
    Effect.gen(function* () {
      const store = yield* RequestStore
      const settings = yield* WebhookSettings
      const events = yield* dispatchAndFinish("req_budget", "apply", "apply.yml")
      const stuck = delivery(events[2])
      const fiber = yield* Effect.fork(
        processDelivery(stuck).pipe(
          Effect.provideService(RequestStore, { ...store, get: () => Effect.never }),
          Effect.provideService(WebhookSettings, { ...settings, processingBudgetMillis: 300 }),
        ),
      )
      yield* TestClock.adjust("299 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "still within its deadline")
      yield* TestClock.adjust("1 milli")
      const result = yield* Fiber.join(fiber)
      assert.deepInclude({ ...result }, { _tag: "Parked", reason: "Unavailable" })
      assert.include(result._tag === "Parked" ? result.detail : "", "did not finish within 300 ms")
      assert.deepStrictEqual(yield* replayParked(), { replayed: 1, stillParked: 0, unreadable: 0 })
      assert.strictEqual((yield* attemptOf("req_budget", "apply"))?.status, "completed")
    }).pipe(Effect.provide(world({ mode: "run-details" }))),
  )

  it.effect("a store that stays throttled parks the delivery without recording it", () =>
    Effect.gen(function* () {
      const log = yield* DeliveryLog
      const throttled = new StoreError({ reason: "Throttled", operation: "put", detail: "SlowDown" })
      const failing = delivery({ ref: "main" }, "push")
      const fiber = yield* Effect.fork(
        processDelivery(failing).pipe(
          Effect.provideService(DeliveryLog, { ...log, record: () => Effect.fail(throttled) }),
          Effect.either,
        ),
      )
      yield* TestClock.adjust("1 minute")
      const outcome = yield* Fiber.join(fiber)
      assert.isTrue(outcome._tag === "Right" && outcome.right._tag === "Parked")
      assert.isTrue(Option.isNone(yield* log.processed(failing.deliveryId)))
      const parked = Array.from(yield* Stream.runCollect(log.parked))
      assert.deepStrictEqual(
        parked.map((each) => each.deliveryId),
        [failing.deliveryId],
      )
    }).pipe(Effect.provide(world())),
  )

  it.effect(
    "a store that cannot even park spools the delivery locally, and the spool moves it to the store once it answers",
    () =>
      Effect.gen(function* () {
        const log = yield* DeliveryLog
        const spool = yield* DeliverySpool
        const down = new StoreError({
          reason: "Unavailable",
          operation: "put",
          detail: "connect ECONNREFUSED",
        })
        const failing = delivery(workflowRunPayload({ id: 7201, kind: "plan", status: "in_progress" }))
        const storeDown = Effect.provideService(DeliveryLog, {
          ...log,
          record: () => Effect.fail(down),
          park: () => Effect.fail(down),
        })
        const fiber = yield* Effect.fork(processDelivery(failing).pipe(storeDown, Effect.either))
        yield* TestClock.adjust("1 minute")
        const outcome = yield* Fiber.join(fiber)
        assert.isTrue(outcome._tag === "Right" && outcome.right._tag === "Parked")
        assert.deepStrictEqual(
          Array.from(yield* Stream.runCollect(spool.spooled)).map((each) => [each.deliveryId, each.body]),
          [[failing.deliveryId, failing.body]],
        )
        assert.strictEqual(Chunk.size(yield* Stream.runCollect(log.parked)), 0)

        // Still down: a drain moves nothing and keeps it.
        assert.deepStrictEqual(yield* drainSpool().pipe(storeDown), { moved: 0, stillSpooled: 1 })
        assert.deepStrictEqual(yield* drainSpool(), { moved: 1, stillSpooled: 0 })
        assert.deepStrictEqual(
          Array.from(yield* Stream.runCollect(log.parked)).map((each) => each.deliveryId),
          [failing.deliveryId],
        )
        assert.strictEqual(Chunk.size(yield* Stream.runCollect(spool.spooled)), 0)
      }).pipe(Effect.provide(Layer.merge(world(), LocalDeliverySpool.layerMemory()))),
  )

  it.effect(
    "a full spool refuses: the delivery fails with the store's error, and nothing else is dropped",
    () =>
      Effect.gen(function* () {
        const log = yield* DeliveryLog
        const spool = yield* DeliverySpool
        const down = new StoreError({
          reason: "Unavailable",
          operation: "put",
          detail: "connect ECONNREFUSED",
        })
        const storeDown = Effect.provideService(DeliveryLog, {
          ...log,
          record: () => Effect.fail(down),
          park: () => Effect.fail(down),
        })
        const first = delivery(workflowRunPayload({ id: 7202, kind: "plan", status: "in_progress" }))
        const second = delivery(workflowRunPayload({ id: 7203, kind: "plan", status: "in_progress" }))
        const results = yield* Effect.fork(
          Effect.all(
            [processDelivery(first), processDelivery(second)].map((each) =>
              Effect.either(each.pipe(storeDown)),
            ),
          ),
        )
        yield* TestClock.adjust("2 minutes")
        const [kept, refused] = yield* Fiber.join(results)
        assert.isTrue(kept?._tag === "Right" && kept.right._tag === "Parked")
        assert.isTrue(refused?._tag === "Left" && refused.left._tag === "StoreError")
        assert.deepStrictEqual(
          Array.from(yield* Stream.runCollect(spool.spooled)).map((each) => each.deliveryId),
          [first.deliveryId],
        )
      }).pipe(Effect.provide(Layer.merge(world(), LocalDeliverySpool.layerMemory({ maxDeliveries: 1 })))),
  )

  it.effect(
    "library users receive one started and one completed event per run attempt, however often GitHub repeats itself",
    () =>
      Effect.gen(function* () {
        const hub = yield* AttemptEventHub
        const subscription = yield* hub.subscribe
        const events = yield* dispatchAndFinish("req_events", "apply", "apply.yml")
        for (const event of [...events, ...events]) yield* processDelivery(delivery(event))
        const received = Chunk.toReadonlyArray(yield* Queue.takeAll(subscription))
        assert.deepStrictEqual(
          received.map((each) => [each.requestId, each.event._tag]),
          [
            ["req_events", "AttemptStarted"],
            ["req_events", "AttemptCompleted"],
          ],
        )
      }).pipe(
        Effect.scoped,
        Effect.provide(Layer.merge(world({ mode: "run-details" }), AttemptEventHubLayer.layer)),
      ),
  )

  it.live("20 concurrent deliveries for 20 runs of one request document are all applied", () =>
    Effect.gen(function* () {
      const objects = yield* ObjectStore
      const index = yield* RunIndexStore
      const attempts = Array.from({ length: 20 }, (_, position) => ({
        attempt: position + 1,
        status: "queued",
        dispatchedAt: "2026-01-01T00:00:00.000Z",
        runId: 5000 + position,
        repository: "acme/infra",
      }))
      const document = { version: 1, runs: { plan: { currentAttempt: 20, attempts } } }
      yield* objects.put("requests/req_many.json", JSON.stringify(document), WriteCondition.Always())
      yield* Effect.forEach(attempts, (each) => index.claim(entry("plan", each.runId, "req_many")))
      const completed = (id: number) => workflowRunPayload({ id, kind: "plan", status: "completed" })
      const results = yield* Effect.forEach(
        attempts,
        (each) => processDelivery(delivery(completed(each.runId))),
        {
          concurrency: "unbounded",
        },
      )
      assert.isTrue(results.every((result) => result._tag === "Processed"))
      const read = yield* (yield* RequestStore).get(requestId("req_many"))
      const stored = read._tag === "Found" ? read.document : undefined
      assert.deepStrictEqual(
        stored?.runs.plan?.attempts.map((each) => each.status),
        Array.from({ length: 20 }, () => "completed"),
      )
      assert.strictEqual(stored?.version, 21)
    }).pipe(Effect.provide(world())),
  )
})
