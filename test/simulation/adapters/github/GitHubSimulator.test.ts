import { assert, describe, it } from "@effect/vitest"
import { Chunk, Clock, Effect, Either, Fiber, Option, Queue, Schema, Stream, TestClock } from "effect"
import type { RunId } from "../../../../src/domain/RunId.js"
import { RepositoryName } from "../../../../src/domain/WorkflowRun.js"
import { type RunFilter, WorkflowRunsGateway } from "../../../../src/ports/WorkflowRunsGateway.js"
import * as Simulator from "../../../../src/simulation/adapters/github/GitHubSimulator.js"
import { GitHubSimulator } from "../../../../src/simulation/adapters/github/GitHubSimulator.js"
import { runId } from "../../../support/fixtures.js"

const repository = Schema.decodeSync(RepositoryName)("acme/infra")
const otherRepository = Schema.decodeSync(RepositoryName)("acme/other")
const start = Date.parse("2025-01-15T10:00:00.000Z")

/** A GitHub Actions expression as a workflow file writes it: `${{ body }}`. */
const expression = (body: string) => `\${{ ${body} }}`

const workflows = [
  { repository, file: "apply.yml", name: "Apply", runName: `Apply ${expression("inputs.request_id")}` },
  { repository, file: "plan.yml", name: "Plan" },
  {
    repository,
    file: "destroy.yml",
    name: "Destroy",
    runName: `Destroy \${{inputs.request_id}} by ${expression("github.actor")} (${expression("inputs.missing")})`,
    declaredInputs: ["request_id"],
  },
]

const simulated = (options: Simulator.SimulatorOptions = {}) =>
  Effect.provide(Simulator.layer({ workflows, ...options }))

const dispatch = (requestId: string, ref = "main", workflow = "apply.yml") =>
  Effect.flatMap(WorkflowRunsGateway, (gateway) =>
    gateway.dispatch({ repository, workflow, ref, inputs: { request_id: requestId } }),
  )

const list = (filter: Partial<RunFilter> = {}) =>
  Effect.flatMap(WorkflowRunsGateway, (gateway) =>
    gateway
      .listRuns({ repository, workflow: "apply.yml", ...filter })
      .pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray)),
  )

const getRun = (id: RunId, inRepository = repository) =>
  Effect.flatMap(WorkflowRunsGateway, (gateway) => gateway.getRun(inRepository, id))

const counts = Effect.flatMap(GitHubSimulator, (simulator) => simulator.callCounts)
const allRuns = Effect.flatMap(GitHubSimulator, (simulator) => simulator.runs)
const events = Effect.flatMap(GitHubSimulator, (simulator) => simulator.publishedEvents)

describe("GitHubSimulator", () => {
  describe("dispatch", () => {
    it.effect("in run-details mode a dispatch returns the run id and the run is listed at once", () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(start + 750)
        const dispatched = yield* dispatch("req_a")
        const id = Option.getOrThrow(dispatched.runId)
        assert.strictEqual(dispatched.serverTime, start, "GitHub's Date header has whole seconds")
        assert.strictEqual(
          Option.getOrThrow(dispatched.htmlUrl),
          `https://github.com/acme/infra/actions/runs/${id}`,
        )
        assert.strictEqual(
          Option.getOrThrow(dispatched.runUrl),
          `https://api.github.com/repos/acme/infra/actions/runs/${id}`,
        )
        const [run, ...others] = yield* list()
        assert.deepStrictEqual(others, [])
        assert.deepStrictEqual(run, {
          id,
          repository,
          name: "Apply",
          displayTitle: "Apply req_a",
          path: ".github/workflows/apply.yml",
          event: "workflow_dispatch",
          status: "queued",
          conclusion: null,
          headBranch: "main",
          headSha: run?.headSha ?? "",
          runAttempt: 1,
          createdAt: start,
          updatedAt: start,
          htmlUrl: `https://github.com/acme/infra/actions/runs/${id}`,
          actor: "run-index-bot",
          triggeringActor: "run-index-bot",
        })
        assert.match(run?.headSha ?? "", /^[0-9a-f]{40}$/)
        assert.deepStrictEqual(yield* getRun(id), Option.some(run!))
        assert.isTrue(Option.isNone(yield* getRun(id, otherRepository)))
        assert.isTrue(Option.isNone(yield* getRun(runId(id + 1_000))))
        assert.isTrue(id > 10_000_000_000 && Number.isSafeInteger(id))
      }).pipe(simulated()),
    )

    it.effect("in no-run-details mode there is no id and the run appears only after the creation delay", () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(start)
        const dispatched = yield* dispatch("req_a", "refs/heads/main")
        assert.isTrue(Option.isNone(dispatched.runId))
        assert.isTrue(Option.isNone(dispatched.htmlUrl))
        assert.strictEqual(dispatched.serverTime, start)
        assert.deepStrictEqual(yield* list(), [])
        yield* TestClock.adjust("1999 millis")
        assert.deepStrictEqual(yield* list(), [])
        const [pending] = yield* Effect.flatMap(GitHubSimulator, (simulator) => simulator.dispatchedRequests)
        assert.isTrue(Option.isNone(pending!.runId))

        yield* TestClock.adjust("1 millis")
        const [run] = yield* list()
        assert.strictEqual(run?.createdAt, start + 2_000, "created after the dispatch, as on GitHub")
        assert.strictEqual(run?.headBranch, "main")
        const [record] = yield* Effect.flatMap(GitHubSimulator, (simulator) => simulator.dispatchedRequests)
        assert.deepStrictEqual(record?.runId, Option.some(run!.id))
        assert.deepStrictEqual((yield* counts).rejectedRunDetails, 0)
      }).pipe(simulated({ mode: "no-run-details" })),
    )

    it.effect("in ghes mode there is no id and the refused return_run_details is counted", () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(start)
        const dispatched = yield* dispatch("req_a")
        assert.isTrue(Option.isNone(dispatched.runId))
        yield* TestClock.adjust("500 millis")
        assert.strictEqual((yield* list()).length, 1, "one run: the refused call created nothing")
        const { dispatch: dispatches, rejectedRunDetails } = yield* counts
        assert.deepStrictEqual({ dispatches, rejectedRunDetails }, { dispatches: 1, rejectedRunDetails: 1 })
      }).pipe(simulated({ mode: "ghes", runCreationDelay: "500 millis" })),
    )

    it.effect(
      "with a creation delay range, each run appears within its drawn delay, in another order than the dispatches",
      () =>
        Effect.gen(function* () {
          yield* TestClock.setTime(start)
          for (let index = 0; index < 40; index++) yield* dispatch(`req_${index}`)
          yield* TestClock.adjust("60 seconds")
          const records = yield* Effect.flatMap(GitHubSimulator, (simulator) => simulator.dispatchedRequests)
          const runIds = records.map((record) => Option.getOrThrow(record.runId))
          const created = new Map(
            (yield* list({ perPage: 100 })).map((run) => [run.id, run.createdAt - start]),
          )
          const delays = runIds.map((id) => created.get(id)!)
          assert.isTrue(
            delays.every((delay) => delay >= 0 && delay <= 60_000),
            JSON.stringify(delays),
          )
          assert.isTrue(
            delays.some((delay) => delay > 6_000),
            "the tail reaches past the range",
          )
          assert.isTrue(delays.filter((delay) => delay <= 6_000).length > 30, "most fall within the range")
          assert.notDeepEqual(
            runIds,
            [...runIds].sort((left, right) => left - right),
            "run ids follow creation, not dispatch order",
          )
        }).pipe(
          simulated({
            mode: "no-run-details",
            runCreationDelay: {
              min: "300 millis",
              max: "6 seconds",
              tail: { probability: 0.1, max: "60 seconds" },
            },
          }),
        ),
    )

    it.effect(
      "display_title is rendered from run-name, a missing input renders empty, no run-name gives the name",
      () =>
        Effect.gen(function* () {
          yield* dispatch("req_a", "main", "apply.yml")
          yield* dispatch("req_b", "main", "plan.yml")
          yield* dispatch("req_c", "main", "destroy.yml")
          const titles = (yield* allRuns).map((run) => run.displayTitle)
          assert.deepStrictEqual(titles, ["Apply req_a", "Plan", "Destroy req_c by run-index-bot ()"])
        }).pipe(simulated()),
    )

    it.effect(
      "an unknown workflow is NotFound and undeclared inputs are refused only when inputs are declared",
      () =>
        Effect.gen(function* () {
          const gateway = yield* WorkflowRunsGateway
          const unknown = yield* Effect.flip(dispatch("req_a", "main", "missing.yml"))
          assert.strictEqual(unknown.reason, "NotFound")
          assert.strictEqual(unknown.status, 404)
          const extra = yield* Effect.flip(
            gateway.dispatch({
              repository,
              workflow: "destroy.yml",
              ref: "main",
              inputs: { request_id: "r", x: "1" },
            }),
          )
          assert.strictEqual(extra.reason, "InvalidInputs")
          assert.include(extra.detail, "Unexpected inputs provided")
          yield* gateway.dispatch({
            repository,
            workflow: "apply.yml",
            ref: "main",
            inputs: { anything: "1" },
          })
          assert.strictEqual((yield* allRuns).length, 1)
          const { dispatch: dispatches, failed } = yield* counts
          assert.deepStrictEqual({ dispatches, failed }, { dispatches: 3, failed: 2 })
          const registered = yield* Effect.flatMap(GitHubSimulator, (simulator) =>
            simulator.registerWorkflow(repository, "cleanup.yml", { name: "Cleanup" }),
          )
          yield* gateway.dispatch({ repository, workflow: String(registered.id), ref: "main", inputs: {} })
          assert.strictEqual((yield* allRuns)[1]?.path, ".github/workflows/cleanup.yml", "found by its id")
        }).pipe(simulated()),
    )
  })

  describe("identity", () => {
    it.effect(
      "is the configured dispatch actor, whose login the dispatched runs carry, and costs no call",
      () =>
        Effect.gen(function* () {
          const gateway = yield* WorkflowRunsGateway
          assert.strictEqual(yield* gateway.identity, "deployer[bot]")
          yield* dispatch("req_a")
          const [run] = yield* list({ actor: yield* gateway.identity })
          assert.deepStrictEqual([run?.actor, run?.triggeringActor], ["deployer[bot]", "deployer[bot]"])
          const { dispatch: dispatches, listPages, get, failed } = yield* counts
          assert.deepStrictEqual([dispatches, listPages, get, failed], [1, 1, 0, 0])
        }).pipe(simulated({ actor: "deployer[bot]" })),
    )

    it.effect("defaults to run-index-bot", () =>
      Effect.flatMap(WorkflowRunsGateway, (gateway) => gateway.identity).pipe(
        Effect.map((login) => assert.strictEqual(login, "run-index-bot")),
        simulated(),
      ),
    )
  })

  describe("listing", () => {
    it.effect("lists newest first and filters by branch, event, actor and creation time on the server", () =>
      Effect.gen(function* () {
        const simulator = yield* GitHubSimulator
        yield* TestClock.setTime(start)
        const first = Option.getOrThrow((yield* dispatch("req_a")).runId)
        const second = Option.getOrThrow((yield* dispatch("req_b")).runId)
        yield* TestClock.adjust("1 second")
        const feature = Option.getOrThrow((yield* dispatch("req_c", "feature")).runId)
        yield* TestClock.adjust("1 second")
        const push = yield* simulator.addNoiseRun({
          repository,
          workflow: "apply.yml",
          event: "push",
          branch: "main",
          actor: "someone",
        })
        const old = yield* simulator.addNoiseRun({
          repository,
          workflow: "apply.yml",
          event: "schedule",
          branch: "main",
          actor: "github-actions",
          createdAt: start - 60_000,
        })
        const ids = (runs: ReadonlyArray<{ readonly id: RunId }>) => runs.map((run) => run.id)

        assert.deepStrictEqual(ids(yield* list()), [push.id, feature, second, first, old.id])
        assert.deepStrictEqual(ids(yield* list({ branch: "main" })), [push.id, second, first, old.id])
        assert.deepStrictEqual(ids(yield* list({ event: "workflow_dispatch" })), [feature, second, first])
        assert.deepStrictEqual(ids(yield* list({ createdFrom: start + 1_000 })), [push.id, feature])
        assert.deepStrictEqual(ids(yield* list({ branch: "main", event: "push", createdFrom: start })), [
          push.id,
        ])
        assert.deepStrictEqual(ids(yield* list({ actor: "run-index-bot" })), [feature, second, first])
        assert.deepStrictEqual(ids(yield* list({ actor: "someone", branch: "main" })), [push.id])
        assert.deepStrictEqual(ids(yield* list({ workflow: "plan.yml" })), [])
        assert.strictEqual(push.displayTitle, "Apply", "noise of another event is titled by the workflow")
        assert.strictEqual(push.actor, "someone")
        const unknown = yield* Effect.flip(list({ workflow: "missing.yml" }))
        assert.strictEqual(unknown.reason, "NotFound")
      }).pipe(simulated()),
    )

    it.effect("pages hold perPage runs, at most 100, each page one call, fetched only when pulled", () =>
      Effect.gen(function* () {
        const gateway = yield* WorkflowRunsGateway
        yield* Effect.forEach(
          Array.from({ length: 250 }, (_, index) => `req_${index}`),
          (id) => dispatch(id),
          {
            discard: true,
          },
        )
        const runs = yield* list({ perPage: 100 })
        assert.strictEqual(runs.length, 250)
        assert.strictEqual(new Set(runs.map((run) => run.id)).size, 250)
        assert.isTrue(runs.every((run, index) => index === 0 || run.id < runs[index - 1]!.id))
        assert.strictEqual((yield* counts).listPages, 3)

        yield* list({ perPage: 500 })
        assert.strictEqual((yield* counts).listPages, 6, "500 per page is capped to 100")
        yield* list({ perPage: 50 })
        assert.strictEqual((yield* counts).listPages, 11, "five full pages and no empty one after them")

        const firstRuns = yield* gateway
          .listRuns({ repository, workflow: "apply.yml" })
          .pipe(Stream.take(31), Stream.runCollect)
        assert.strictEqual(firstRuns.length, 31)
        assert.strictEqual((yield* counts).listPages, 13, "30 per page by default, two pages for 31 runs")
      }).pipe(simulated()),
    )

    it.effect("a filtered listing reaches only the newest filteredResultLimit runs, as GitHub's", () =>
      Effect.gen(function* () {
        yield* Effect.forEach(
          Array.from({ length: 12 }, (_, index) => `req_${index}`),
          (id) => dispatch(id),
          {
            discard: true,
          },
        )
        assert.strictEqual((yield* list()).length, 12)
        assert.strictEqual((yield* list({ branch: "main", perPage: 4 })).length, 10)
      }).pipe(simulated({ filteredResultLimit: 10 })),
    )

    it.effect("a run created between two pages shifts the next page, as on GitHub", () =>
      Effect.gen(function* () {
        const gateway = yield* WorkflowRunsGateway
        yield* Effect.forEach(["req_1", "req_2", "req_3", "req_4"], (id) => dispatch(id), { discard: true })
        const pull = yield* Stream.toPull(gateway.listRuns({ repository, workflow: "apply.yml", perPage: 2 }))
        const firstPage = Chunk.toReadonlyArray(yield* pull)
        yield* dispatch("req_5")
        const secondPage = Chunk.toReadonlyArray(yield* pull)
        assert.strictEqual(secondPage[0]?.id, firstPage[1]?.id)
      }).pipe(Effect.scoped, simulated()),
    )

    it.effect("every page equals the offset slice of the list as it is when the page is fetched", () =>
      Effect.gen(function* () {
        const simulator = yield* GitHubSimulator
        const gateway = yield* WorkflowRunsGateway
        yield* TestClock.setTime(start)
        let state = 12345
        const next = (bound: number) => {
          state = (state + 0x6d2b79f5) | 0
          let mixed = Math.imul(state ^ (state >>> 15), 1 | state)
          mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed
          return Math.floor((((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296) * bound)
        }
        const grow = Effect.gen(function* () {
          for (let count = next(4); count > 0; count--) {
            if (next(8) === 0) {
              const now = yield* Clock.currentTimeMillis
              yield* simulator.addNoiseRun({
                repository,
                workflow: "apply.yml",
                event: "push",
                branch: next(2) === 0 ? "main" : "feature",
                actor: "someone",
                createdAt: now - next(20) * 1_000,
              })
            } else {
              yield* dispatch(`req_${next(1_000_000)}`, next(2) === 0 ? "main" : "feature")
            }
            if (next(3) === 0) yield* TestClock.adjust("1 second")
          }
        })
        yield* Effect.forEach(Array.from({ length: 30 }), () => grow, { discard: true })
        const filters: ReadonlyArray<Partial<RunFilter>> = [
          {},
          { branch: "main" },
          { event: "workflow_dispatch", createdFrom: start + 10_000 },
          { actor: "someone", branch: "main" },
        ]
        for (const filter of filters) {
          const perPage = 3 + next(4)
          const pull = yield* Stream.toPull(
            gateway.listRuns({ repository, workflow: "apply.yml", perPage, ...filter }),
          )
          for (let page = 1; ; page++) {
            const expected = (yield* allRuns)
              .filter(
                (run) =>
                  run.path === ".github/workflows/apply.yml" &&
                  (filter.branch === undefined || run.headBranch === filter.branch) &&
                  (filter.event === undefined || run.event === filter.event) &&
                  (filter.actor === undefined || run.actor === filter.actor) &&
                  (filter.createdFrom === undefined || run.createdAt >= filter.createdFrom),
              )
              .sort((left, right) => right.createdAt - left.createdAt || right.id - left.id)
              .slice((page - 1) * perPage, page * perPage)
            const received = yield* Effect.option(pull)
            if (Option.isNone(received)) break
            assert.deepStrictEqual(Chunk.toReadonlyArray(received.value), expected, `page ${page}`)
            yield* grow
          }
        }
      }).pipe(Effect.scoped, simulated({ filteredResultLimit: 1_000_000 })),
    )
  })

  describe("faults", () => {
    it.effect(
      "the next n calls fail with a server error, then calls succeed; a failed dispatch creates no run",
      () =>
        Effect.gen(function* () {
          const simulator = yield* GitHubSimulator
          yield* simulator.injectFaults({ operation: "dispatch", kind: "server-error", count: 2 })
          for (const _ of [1, 2]) {
            const error = yield* Effect.flip(dispatch("req_a"))
            assert.strictEqual(error.reason, "Unavailable")
            assert.include([500, 502, 503], error.status)
          }
          yield* TestClock.adjust("10 seconds")
          assert.deepStrictEqual(yield* allRuns, [])
          yield* dispatch("req_a")
          yield* TestClock.adjust("2 seconds")
          assert.strictEqual((yield* allRuns).length, 1)
          const { dispatch: dispatches, failed } = yield* counts
          assert.deepStrictEqual({ dispatches, failed }, { dispatches: 3, failed: 2 })
          const records = yield* simulator.dispatchedRequests
          assert.deepStrictEqual(
            records.map((record) => record.failure),
            [Option.some("Unavailable"), Option.some("Unavailable"), Option.none()],
          )
        }).pipe(simulated({ mode: "no-run-details" })),
    )

    it.effect("a rate-limit fault carries its status and resetAt, now plus the reset delay", () =>
      Effect.gen(function* () {
        const simulator = yield* GitHubSimulator
        yield* TestClock.setTime(start)
        yield* simulator.injectFaults([
          { operation: "list", kind: "rate-limit", count: 1, status: 429 },
          { operation: "any", kind: "rate-limit", count: 1 },
        ])
        const limited = yield* Effect.flip(list())
        assert.strictEqual(limited.reason, "RateLimited")
        assert.strictEqual(limited.status, 429)
        assert.strictEqual(limited.resetAt, start + 30_000)
        const anyCall = yield* Effect.flip(getRun(runId(1)))
        assert.strictEqual(anyCall.reason, "RateLimited")
        assert.strictEqual(anyCall.operation, "getRun")
        assert.include([403, 429], anyCall.status)
        assert.deepStrictEqual(yield* list(), [])
        const { listPages, get, failed } = yield* counts
        assert.deepStrictEqual({ listPages, get, failed }, { listPages: 2, get: 1, failed: 2 })
      }).pipe(simulated({ rateLimitReset: "30 seconds" })),
    )

    it.effect("a timeout after create fails the dispatch but the run exists", () =>
      Effect.gen(function* () {
        const simulator = yield* GitHubSimulator
        yield* simulator.injectFaults({ operation: "dispatch", kind: "timeout-after-create", count: 1 })
        const error = yield* Effect.flip(dispatch("req_a"))
        assert.strictEqual(error.reason, "Unavailable")
        assert.isUndefined(error.status)
        const [run] = yield* allRuns
        assert.strictEqual(run?.displayTitle, "Apply req_a")
        const [record] = yield* simulator.dispatchedRequests
        assert.deepStrictEqual(record?.runId, Option.some(run!.id))
        assert.deepStrictEqual(record?.failure, Option.some("Unavailable"))
      }).pipe(simulated()),
    )

    it.effect("probability faults are drawn from the seed: the same seed fails the same calls", () =>
      Effect.gen(function* () {
        const pattern = (seed: number) =>
          Effect.gen(function* () {
            yield* dispatch("req_a")
            const results = yield* Effect.forEach(Array.from({ length: 200 }), () => Effect.either(list()))
            return results.map(Either.isLeft)
          }).pipe(
            simulated({ seed, faults: [{ operation: "list", kind: "server-error", probability: 0.25 }] }),
          )
        const first = yield* pattern(7)
        const failures = first.filter(Boolean).length
        assert.isTrue(failures > 25 && failures < 75, `${failures} failures of 200 at 25%`)
        assert.deepStrictEqual(yield* pattern(7), first)
        assert.notDeepEqual(yield* pattern(8), first)
      }),
    )

    it.effect("clearFaults removes pending faults", () =>
      Effect.gen(function* () {
        const simulator = yield* GitHubSimulator
        yield* simulator.injectFaults([
          { operation: "any", kind: "server-error", count: 5 },
          { operation: "any", kind: "server-error", probability: 1 },
        ])
        yield* simulator.clearFaults
        yield* dispatch("req_a")
        assert.strictEqual((yield* list()).length, 1)
      }).pipe(simulated()),
    )
  })

  describe("progression and events", () => {
    it.effect("a run goes queued → in_progress → completed, one webhook event per transition", () =>
      Effect.gen(function* () {
        const simulator = yield* GitHubSimulator
        const subscription = yield* simulator.subscribe
        yield* TestClock.setTime(start)
        const id = Option.getOrThrow((yield* dispatch("req_a")).runId)
        yield* TestClock.adjust("4999 millis")
        assert.strictEqual(Option.getOrThrow(yield* getRun(id)).status, "queued")
        yield* TestClock.adjust("1 millis")
        assert.strictEqual(Option.getOrThrow(yield* getRun(id)).status, "in_progress")
        yield* TestClock.adjust("60 seconds")
        const completed = Option.getOrThrow(yield* getRun(id))
        assert.strictEqual(completed.status, "completed")
        assert.strictEqual(completed.conclusion, "success")
        assert.strictEqual(completed.updatedAt, start + 65_000)

        const received = Chunk.toReadonlyArray(yield* Queue.takeN(subscription, 3))
        assert.deepStrictEqual(yield* events, received)
        assert.deepStrictEqual(
          received.map(({ action, workflow_run }) => [
            action,
            workflow_run.status,
            workflow_run.conclusion,
            workflow_run.updated_at,
          ]),
          [
            ["requested", "queued", null, "2025-01-15T10:00:00Z"],
            ["in_progress", "in_progress", null, "2025-01-15T10:00:05Z"],
            ["completed", "completed", "success", "2025-01-15T10:01:05Z"],
          ],
        )
        assert.deepStrictEqual(received[2], {
          action: "completed",
          workflow_run: {
            id,
            name: "Apply",
            display_title: "Apply req_a",
            path: ".github/workflows/apply.yml",
            event: "workflow_dispatch",
            status: "completed",
            conclusion: "success",
            head_branch: "main",
            head_sha: completed.headSha,
            run_attempt: 1,
            run_number: 1,
            workflow_id: received[2]!.workflow_run.workflow_id,
            created_at: "2025-01-15T10:00:00Z",
            updated_at: "2025-01-15T10:01:05Z",
            html_url: `https://github.com/acme/infra/actions/runs/${id}`,
            actor: { login: "run-index-bot" },
          },
          repository: { full_name: "acme/infra" },
        })
      }).pipe(Effect.scoped, simulated()),
    )

    it.effect("the events stream pushes transitions as the clock reaches them", () =>
      Effect.gen(function* () {
        const simulator = yield* GitHubSimulator
        yield* dispatch("req_a")
        const later = yield* simulator.events.pipe(Stream.take(2), Stream.runCollect, Effect.fork)
        yield* TestClock.adjust("65 seconds")
        const pushed = Chunk.toReadonlyArray(yield* Fiber.join(later))
        assert.deepStrictEqual(
          pushed.map((event) => event.action),
          ["in_progress", "completed"],
        )
      }).pipe(simulated()),
    )

    it.effect("events keep exact timestamps when pushed at a coarser granularity", () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(start)
        yield* dispatch("req_a")
        yield* TestClock.adjust("70 seconds")
        const updated = (yield* events).map((event) => event.workflow_run.updated_at)
        assert.deepStrictEqual(updated, [
          "2025-01-15T10:00:00Z",
          "2025-01-15T10:00:05Z",
          "2025-01-15T10:01:05Z",
        ])
      }).pipe(simulated({ publishGranularity: "1 minute" })),
    )

    it.effect("a re-run bumps run_attempt and goes through its lifecycle again, with events", () =>
      Effect.gen(function* () {
        const simulator = yield* GitHubSimulator
        yield* TestClock.setTime(start)
        const id = Option.getOrThrow((yield* dispatch("req_a")).runId)
        const early = yield* Effect.flip(simulator.rerun(id))
        assert.strictEqual(early.reason, "InvalidInputs", "a queued run cannot be re-run")
        yield* TestClock.adjust("65 seconds")
        const rerun = yield* simulator.rerun(id)
        assert.deepStrictEqual([rerun.runAttempt, rerun.status, rerun.conclusion], [2, "queued", null])
        yield* TestClock.adjust("65 seconds")
        const run = Option.getOrThrow(yield* getRun(id))
        assert.deepStrictEqual([run.runAttempt, run.status, run.createdAt], [2, "completed", start])
        assert.deepStrictEqual(
          (yield* events).map((event) => `${event.action}#${event.workflow_run.run_attempt}`),
          ["requested#1", "in_progress#1", "completed#1", "requested#2", "in_progress#2", "completed#2"],
        )
        const unknown = yield* Effect.flip(simulator.rerun(runId(1)))
        assert.strictEqual(unknown.reason, "NotFound")
      }).pipe(simulated()),
    )

    it.effect("noise runs progress and publish events like dispatched ones", () =>
      Effect.gen(function* () {
        const simulator = yield* GitHubSimulator
        yield* simulator.addNoiseRun({
          repository,
          workflow: "apply.yml",
          event: "schedule",
          branch: "main",
          actor: "github-actions",
          title: "Nightly",
        })
        yield* TestClock.adjust("65 seconds")
        assert.deepStrictEqual(
          (yield* events).map((event) => [
            event.action,
            event.workflow_run.event,
            event.workflow_run.display_title,
          ]),
          [
            ["requested", "schedule", "Nightly"],
            ["in_progress", "schedule", "Nightly"],
            ["completed", "schedule", "Nightly"],
          ],
        )
      }).pipe(simulated()),
    )
  })

  describe("determinism and scale", () => {
    it.effect("the same seed gives the same run ids, titles and conclusions", () =>
      Effect.gen(function* () {
        const scenario = (seed: number) =>
          Effect.gen(function* () {
            yield* Effect.forEach(
              Array.from({ length: 20 }, (_, index) => `req_${index}`),
              (id) => dispatch(id),
              {
                concurrency: 5,
              },
            )
            yield* TestClock.adjust("70 seconds")
            return (yield* allRuns).map((run) => [run.id, run.displayTitle, run.conclusion] as const)
          }).pipe(
            simulated({
              seed,
              mode: "no-run-details",
              conclusions: { success: 2, failure: 1, cancelled: 1 },
            }),
          )
        const first = yield* scenario(42)
        assert.deepStrictEqual(yield* scenario(42), first)
        assert.isTrue(new Set(first.map(([, , conclusion]) => conclusion)).size > 1, "a seeded mix")
        const other = yield* scenario(43)
        assert.notDeepEqual(
          other.map(([id]) => id),
          first.map(([id]) => id),
        )
      }),
    )

    it.effect("ten thousand concurrent dispatches all become completed runs", () =>
      Effect.gen(function* () {
        const simulator = yield* GitHubSimulator
        yield* Effect.forEach(
          Array.from({ length: 10_000 }, (_, index) => index),
          (index) => dispatch(`req_${index}`, `request/req_${index % 100}`),
          { concurrency: 100, discard: true },
        )
        yield* TestClock.adjust("70 seconds")
        const runs = yield* allRuns
        assert.strictEqual(runs.length, 10_000)
        assert.isTrue(runs.every((run) => run.status === "completed"))
        assert.strictEqual(new Set(runs.map((run) => run.id)).size, 10_000)
        assert.strictEqual((yield* simulator.publishedEvents).length, 30_000)
        assert.strictEqual((yield* list({ branch: "request/req_7", perPage: 100 })).length, 100)
      }).pipe(simulated({ mode: "no-run-details" })),
    )
  })
})
