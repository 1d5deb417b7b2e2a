import { generateKeyPairSync } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, ConfigProvider, Effect, Layer, Option, Redacted, Schedule, Schema, Stream } from "effect"
import * as OctokitClient from "../../../src/adapters/github/OctokitClient.js"
import * as OctokitGateway from "../../../src/adapters/github/OctokitGateway.js"
import * as ObjectDispatchLanes from "../../../src/adapters/ObjectDispatchLanes.js"
import * as ObjectRequestStore from "../../../src/adapters/ObjectRequestStore.js"
import * as ObjectRunIndexStore from "../../../src/adapters/ObjectRunIndexStore.js"
import * as MemoryObjectStore from "../../../src/adapters/objects/MemoryObjectStore.js"
import { RepositoryName } from "../../../src/domain/WorkflowRun.js"
import {
  type DispatchRequest,
  isTransientGatewayError,
  WorkflowRunsGateway,
} from "../../../src/ports/WorkflowRunsGateway.js"
import { dispatchRun } from "../../../src/programs/DispatchRun.js"
import { requestId, runId } from "../../support/fixtures.js"
import {
  type GitHubStandIn,
  type GitHubStandInOptions,
  runJson,
  startGitHubStandIn,
} from "../../support/GitHubStandIn.js"

const repository = Schema.decodeSync(RepositoryName)("octo/infra")
const token = "ghp_standinTokenThatMustNeverBeLogged"
const runsPath = "/repos/octo/infra/actions/workflows/apply.yml/runs"
const dispatchesPath = "/repos/octo/infra/actions/workflows/apply.yml/dispatches"
/** The stand-in's clock, far from both the test clock (0) and the real one. */
const serverNow = Date.parse("2026-03-01T12:00:00Z")

type ClientOptions = Omit<OctokitClient.OctokitClientOptions, "baseUrl" | "auth">

/**
 * The gateway through a real Octokit to the stand-in. The plugins' waits are scaled from seconds to
 * milliseconds, so a retry-after of 1 s or the retry plugin's 1, 4, 9 s backoff take as many ms.
 */
const gatewayOn = (
  standIn: GitHubStandIn,
  options: ClientOptions = {},
  auth: OctokitClient.OctokitAuth = { token: Redacted.make(token) },
) =>
  OctokitGateway.layer.pipe(
    Layer.provide(
      OctokitClient.layer({
        baseUrl: standIn.url,
        auth,
        retries: 2,
        retryWaitUnit: "1 millis",
        ...options,
      }),
    ),
  )

const withStandIn = <A, E, R>(
  use: (standIn: GitHubStandIn) => Effect.Effect<A, E, R>,
  options: GitHubStandInOptions = {},
) =>
  Effect.acquireUseRelease(
    Effect.promise(() => startGitHubStandIn(options)).pipe(
      Effect.tap((standIn) => standIn.setClock(serverNow)),
    ),
    use,
    (standIn) => Effect.promise(() => standIn.close()),
  )

const dispatchRequest: DispatchRequest = {
  repository,
  workflow: "apply.yml",
  ref: "request/req_dev_ec2_abc",
  inputs: { request_id: "req_dev_ec2_abc" },
}

const listAll = (filter: Parameters<WorkflowRunsGateway["Type"]["listRuns"]>[0]) =>
  Effect.flatMap(WorkflowRunsGateway, (gateway) => Stream.runCollect(gateway.listRuns(filter))).pipe(
    Effect.map(Chunk.toReadonlyArray),
  )

const runsFilter = { repository, workflow: "apply.yml" } as const

const requestsTo = (standIn: GitHubStandIn, path: string) =>
  standIn.requests.filter((request) => request.path === path)

const fromEnvironment = (variables: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(variables))))

const pkcs1Key = () =>
  generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey

const identity = Effect.flatMap(WorkflowRunsGateway, (gateway) => gateway.identity)

const rateLimitMessage = "API rate limit exceeded for installation ID 1."
const secondaryMessage =
  "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."

describe("Octokit gateway against a GitHub stand-in", () => {
  describe("listRuns", () => {
    it.effect("follows every page through Link, newest first, sending the filters as query parameters", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          const branch = "request/req_a"
          const on = (id: number, minute: number, extra: Partial<Parameters<typeof runJson>[0]> = {}) =>
            runJson({
              id,
              created_at: `2026-03-01T11:${String(minute).padStart(2, "0")}:00Z`,
              head_branch: branch,
              ...extra,
            })
          standIn.addRuns(
            on(101, 1),
            on(102, 2),
            on(103, 3),
            on(104, 4),
            on(105, 5),
            on(199, 6, { head_branch: "main" }),
            on(198, 7, { event: "push" }),
            on(100, 0),
          )
          const runs = yield* listAll({
            ...runsFilter,
            branch,
            event: "workflow_dispatch",
            createdFrom: Date.parse("2026-03-01T11:00:30.250Z"),
            perPage: 2,
          })
          assert.deepStrictEqual(
            runs.map((run) => run.id),
            [105, 104, 103, 102, 101],
          )
          const pages = requestsTo(standIn, runsPath)
          assert.deepStrictEqual(
            pages.map((request) => request.query),
            [
              { branch, event: "workflow_dispatch", created: ">=2026-03-01T11:00:30Z", per_page: "2" },
              {
                branch,
                event: "workflow_dispatch",
                created: ">=2026-03-01T11:00:30Z",
                per_page: "2",
                page: "2",
              },
              {
                branch,
                event: "workflow_dispatch",
                created: ">=2026-03-01T11:00:30Z",
                per_page: "2",
                page: "3",
              },
            ],
          )
          assert.deepStrictEqual(
            pages.map((request) => request.status),
            [200, 200, 200],
          )
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect("fetches pages only as the stream is pulled", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          standIn.addRuns(
            ...[1, 2, 3, 4, 5].map((id) => runJson({ id, created_at: `2026-03-01T11:0${id}:00Z` })),
          )
          const gateway = yield* WorkflowRunsGateway
          const newest = yield* Stream.runCollect(
            gateway.listRuns({ ...runsFilter, perPage: 2 }).pipe(Stream.take(1)),
          )
          assert.deepStrictEqual(
            Chunk.toReadonlyArray(newest).map((run) => run.id),
            [5],
          )
          assert.strictEqual(requestsTo(standIn, runsPath).length, 1)
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect("maps each run to the domain's WorkflowRun, times as epoch milliseconds", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          standIn.addRuns(
            runJson({
              id: 4242,
              created_at: "2026-03-01T11:00:00Z",
              updated_at: "2026-03-01T11:05:30Z",
              display_title: "apply req_dev_ec2_abc",
              head_branch: "request/req_dev_ec2_abc",
              status: "completed",
              conclusion: "success",
              run_attempt: 2,
            }),
          )
          const [run] = yield* listAll(runsFilter)
          assert.deepStrictEqual(run, {
            id: runId(4242),
            repository,
            name: "apply",
            displayTitle: "apply req_dev_ec2_abc",
            path: ".github/workflows/apply.yml",
            event: "workflow_dispatch",
            status: "completed",
            conclusion: "success",
            headBranch: "request/req_dev_ec2_abc",
            headSha: "0123456789abcdef0123456789abcdef01234567",
            runAttempt: 2,
            createdAt: Date.parse("2026-03-01T11:00:00Z"),
            updatedAt: Date.parse("2026-03-01T11:05:30Z"),
            htmlUrl: "https://github.com/octo/infra/actions/runs/4242",
            actor: "octocat",
            triggeringActor: "octocat",
          })
          assert.strictEqual(requestsTo(standIn, runsPath)[0]?.query.per_page, "100")
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect(
      "a repeated listing sends each page's ETag, gets 304 and yields the same runs from the cache",
      () =>
        withStandIn((standIn) =>
          Effect.gen(function* () {
            standIn.addRuns(
              ...[1, 2, 3, 4, 5].map((id) => runJson({ id, created_at: `2026-03-01T11:0${id}:00Z` })),
            )
            const first = yield* listAll({ ...runsFilter, perPage: 2 })
            const second = yield* listAll({ ...runsFilter, perPage: 2 })
            assert.deepStrictEqual(
              second.map((run) => run.id),
              [5, 4, 3, 2, 1],
            )
            assert.deepStrictEqual(second, first)
            const pages = requestsTo(standIn, runsPath)
            assert.deepStrictEqual(
              pages.map((request) => request.status),
              [200, 200, 200, 304, 304, 304],
            )
            assert.deepStrictEqual(
              pages.map((request) => request.headers["if-none-match"] === undefined),
              [true, true, true, false, false, false],
            )
            assert.isTrue(pages[3]?.headers["if-none-match"]?.startsWith('W/"'))
          }).pipe(Effect.provide(gatewayOn(standIn))),
        ),
    )

    it.effect("a page that changed since its ETag is fetched anew", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          standIn.addRuns(runJson({ id: 1, created_at: "2026-03-01T11:01:00Z" }))
          yield* listAll(runsFilter)
          standIn.addRuns(runJson({ id: 2, created_at: "2026-03-01T11:02:00Z" }))
          const runs = yield* listAll(runsFilter)
          assert.deepStrictEqual(
            runs.map((run) => run.id),
            [2, 1],
          )
          assert.deepStrictEqual(
            requestsTo(standIn, runsPath).map((request) => request.status),
            [200, 200],
          )
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect("a 401 fails the listing with Unauthorized, and the token appears nowhere in the error", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          standIn.script(`GET ${runsPath}`, { status: 401, body: { message: "Bad credentials" } })
          const error = yield* Effect.flip(listAll(runsFilter))
          assert.strictEqual(error.reason, "Unauthorized")
          assert.strictEqual(error.status, 401)
          assert.include(error.message, "Bad credentials")
          assert.notInclude(error.message, token)
          assert.notInclude(JSON.stringify(error.cause), token)
          assert.strictEqual(requestsTo(standIn, runsPath).length, 1)
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect(
      "a run that does not decode fails the listing with Unavailable rather than dropping the run",
      () =>
        withStandIn((standIn) =>
          Effect.gen(function* () {
            standIn.script(`GET ${runsPath}`, {
              status: 200,
              body: { total_count: 1, workflow_runs: [{ id: "not a number" }] },
            })
            const error = yield* Effect.flip(listAll(runsFilter))
            assert.strictEqual(error.reason, "Unavailable")
            assert.include(error.detail, "does not decode")
          }).pipe(Effect.provide(gatewayOn(standIn))),
        ),
    )
  })

  describe("identity", () => {
    it.effect("a token's identity is its user's login from GET /user, asked once and then cached", () =>
      withStandIn(
        (standIn) =>
          Effect.gen(function* () {
            assert.strictEqual(yield* identity, "deployer")
            assert.strictEqual(yield* identity, "deployer")
            const asked = requestsTo(standIn, "/user")
            assert.deepStrictEqual(
              asked.map((request) => [request.method, request.status, request.headers.authorization]),
              [["GET", 200, `token ${token}`]],
            )
          }).pipe(Effect.provide(gatewayOn(standIn))),
        { user: "deployer" },
      ),
    )

    it.effect("concurrent first callers share one GET /user", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          const logins = yield* Effect.all([identity, identity, identity], { concurrency: "unbounded" })
          assert.deepStrictEqual(logins, ["octocat", "octocat", "octocat"])
          assert.strictEqual(requestsTo(standIn, "/user").length, 1)
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect("a failure is not cached: the next call asks again", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          standIn.script("GET /user", { status: 401, body: { message: "Bad credentials" } })
          const error = yield* Effect.flip(identity)
          assert.strictEqual(error.reason, "Unauthorized")
          assert.strictEqual(error.operation, "identity")
          assert.strictEqual(yield* identity, "octocat")
          assert.deepStrictEqual(
            requestsTo(standIn, "/user").map((request) => request.status),
            [401, 200],
          )
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect("a login that does not decode is Unavailable, naming the field", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          standIn.script("GET /user", { status: 200, body: { login: "not a login" } })
          const error = yield* Effect.flip(identity)
          assert.strictEqual(error.reason, "Unavailable")
          assert.include(error.detail, "GET /user")
          assert.include(error.detail, '["login"]')
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect(
      "an installation token cannot name its App: NotConfigured, pointing at GITHUB_ACTOR, no call",
      () =>
        withStandIn((standIn) =>
          Effect.gen(function* () {
            const error = yield* Effect.flip(identity)
            assert.strictEqual(error.reason, "NotConfigured")
            assert.include(error.detail, "GITHUB_ACTOR")
            assert.deepStrictEqual(standIn.requests, [])
          }).pipe(
            Effect.provide(gatewayOn(standIn, {}, { token: Redacted.make("ghs_actionsInstallationToken") })),
          ),
        ),
    )

    it.effect("GITHUB_ACTOR is the identity when set, and GitHub is not asked", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          assert.strictEqual(yield* identity, "deployer[bot]")
          assert.deepStrictEqual(standIn.requests, [])
        }).pipe(
          Effect.provide(OctokitGateway.layerConfig.pipe(Layer.provide(OctokitClient.layerConfig))),
          fromEnvironment({
            GITHUB_API_URL: standIn.url,
            GITHUB_TOKEN: token,
            GITHUB_ACTOR: "deployer[bot]",
          }),
        ),
      ),
    )

    it.effect("without GITHUB_ACTOR, layerConfig asks GET /user", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          assert.strictEqual(yield* identity, "octocat")
          assert.strictEqual(requestsTo(standIn, "/user").length, 1)
        }).pipe(
          Effect.provide(OctokitGateway.layerConfig.pipe(Layer.provide(OctokitClient.layerConfig))),
          fromEnvironment({ GITHUB_API_URL: standIn.url, GITHUB_TOKEN: token }),
        ),
      ),
    )

    it.effect("an invalid GITHUB_ACTOR is a configuration error that names it", () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          Layer.build(OctokitGateway.layerConfig).pipe(
            Effect.scoped,
            Effect.provide(
              OctokitClient.layer({ baseUrl: "http://127.0.0.1:9", auth: { token: Redacted.make(token) } }),
            ),
            fromEnvironment({ GITHUB_ACTOR: "not a login" }),
          ),
        )
        assert.include(String(error), "GITHUB_ACTOR")
        assert.include(String(error), "must be a GitHub login")
      }),
    )
  })

  describe("our runs only", () => {
    const branch = "request/req_dev_ec2_abc"
    const theirs = (id: number) =>
      runJson({
        id,
        created_at: "2026-03-01T12:00:00Z",
        head_branch: branch,
        display_title: "apply",
        actor: { login: "someone-else" },
      })

    it.effect("the listing sends actor= and GitHub leaves out another user's runs", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          standIn.addRuns(
            theirs(1),
            runJson({ id: 2, created_at: "2026-03-01T12:00:00Z", head_branch: branch }),
          )
          const runs = yield* listAll({ ...runsFilter, branch, actor: yield* identity })
          assert.deepStrictEqual(
            runs.map((run) => [run.id, run.actor]),
            [[runId(2), "octocat"]],
          )
          assert.strictEqual(requestsTo(standIn, runsPath)[0]?.query.actor, "octocat")
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    const dispatchedWithoutRunDetails = (standIn: GitHubStandIn) =>
      dispatchRun(
        {
          kind: "apply",
          requestId: requestId("req_dev_ec2_abc"),
          repository,
          workflow: "apply.yml",
          ref: branch,
          inputs: {},
        },
        { polls: Schedule.recurs(0), firstLook: 0 },
      ).pipe(
        Effect.provide(
          Layer.mergeAll(
            gatewayOn(standIn),
            ObjectRunIndexStore.layer,
            ObjectRequestStore.layer,
            ObjectDispatchLanes.layer,
          ).pipe(Layer.provide(MemoryObjectStore.layerMemory)),
        ),
      )

    it.effect(
      "after a 204, another user's earlier run on the same workflow and branch is not taken; ours is",
      () =>
        withStandIn(
          (standIn) =>
            Effect.gen(function* () {
              standIn.addRuns(theirs(9_000_000_000))
              const result = yield* dispatchedWithoutRunDetails(standIn)
              assert.deepStrictEqual(
                [result.source, Option.getOrUndefined(result.runId)],
                ["list", runId(9_000_000_001)],
              )
              const listing = requestsTo(standIn, runsPath)[0]
              assert.strictEqual(listing?.query.actor, "deployer")
            }),
          { runDetails: "ignored", user: "deployer" },
        ),
    )

    it.effect("a server that ignores actor= still does not get another user's run taken", () =>
      withStandIn(
        (standIn) =>
          Effect.gen(function* () {
            const ours = runJson({
              id: 9_000_000_001,
              created_at: "2026-03-01T12:00:00Z",
              head_branch: branch,
              actor: { login: "deployer" },
            })
            const rerunByThem = runJson({
              id: 8_999_999_998,
              created_at: "2026-03-01T12:00:00Z",
              head_branch: branch,
              actor: { login: "deployer" },
              triggering_actor: { login: "someone-else" },
            })
            standIn.script(`GET ${runsPath}`, {
              status: 200,
              body: { total_count: 3, workflow_runs: [ours, rerunByThem, theirs(8_999_999_999)] },
            })
            const result = yield* dispatchedWithoutRunDetails(standIn)
            assert.deepStrictEqual(Option.getOrUndefined(result.runId), runId(9_000_000_001))
          }),
        { runDetails: "ignored", user: "deployer" },
      ),
    )
  })

  describe("dispatch", () => {
    it.effect("a 200 with run details gives the run id, its URLs and GitHub's Date as serverTime", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          const gateway = yield* WorkflowRunsGateway
          const dispatched = yield* gateway.dispatch(dispatchRequest)
          const [sent] = requestsTo(standIn, dispatchesPath)
          assert.deepStrictEqual(sent?.body, {
            ref: "request/req_dev_ec2_abc",
            inputs: { request_id: "req_dev_ec2_abc" },
            return_run_details: true,
          })
          assert.strictEqual(sent?.status, 200)
          assert.deepStrictEqual(dispatched.runId, Option.some(runId(9_000_000_001)))
          assert.deepStrictEqual(
            dispatched.runUrl,
            Option.some("https://api.github.com/repos/octo/infra/actions/runs/9000000001"),
          )
          assert.deepStrictEqual(
            dispatched.htmlUrl,
            Option.some("https://github.com/octo/infra/actions/runs/9000000001"),
          )
          assert.strictEqual(dispatched.serverTime, serverNow)
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect("a 204 gives no run id, still with GitHub's Date as serverTime", () =>
      withStandIn(
        (standIn) =>
          Effect.gen(function* () {
            const gateway = yield* WorkflowRunsGateway
            const dispatched = yield* gateway.dispatch(dispatchRequest)
            assert.strictEqual(requestsTo(standIn, dispatchesPath)[0]?.status, 204)
            assert.isTrue(Option.isNone(dispatched.runId))
            assert.isTrue(Option.isNone(dispatched.htmlUrl))
            assert.strictEqual(dispatched.serverTime, serverNow)
          }).pipe(Effect.provide(gatewayOn(standIn))),
        { runDetails: "ignored" },
      ),
    )

    it.effect("a 200 whose body does not decode is still a dispatch: no run id, no error", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          standIn.script(`POST ${dispatchesPath}`, { status: 200, body: { workflow_run_id: "soon" } })
          const gateway = yield* WorkflowRunsGateway
          const dispatched = yield* gateway.dispatch(dispatchRequest)
          assert.isTrue(Option.isNone(dispatched.runId))
          assert.strictEqual(requestsTo(standIn, dispatchesPath).length, 1)
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect(
      "a server refusing return_run_details is retried once without it, and later dispatches leave it out",
      () =>
        withStandIn(
          (standIn) =>
            Effect.gen(function* () {
              const gateway = yield* WorkflowRunsGateway
              const first = yield* gateway.dispatch(dispatchRequest)
              const second = yield* gateway.dispatch({ ...dispatchRequest, ref: "main" })
              const sent = requestsTo(standIn, dispatchesPath)
              assert.deepStrictEqual(
                sent.map((request) => [request.status, Object.keys(request.body as object)]),
                [
                  [400, ["ref", "inputs", "return_run_details"]],
                  [204, ["ref", "inputs"]],
                  [204, ["ref", "inputs"]],
                ],
              )
              assert.isTrue(Option.isNone(first.runId))
              assert.isTrue(Option.isNone(second.runId))
              assert.strictEqual(first.serverTime, serverNow)
            }).pipe(
              // The throttling plugin spaces writes a second apart: three of them would take two.
              Effect.provide(gatewayOn(standIn, { throttling: false })),
            ),
          { runDetails: "refused" },
        ),
    )

    it.effect("a 422 for unexpected inputs is InvalidInputs with GitHub's message, not retried", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          standIn.script(`POST ${dispatchesPath}`, {
            status: 422,
            body: {
              message: 'Unexpected inputs provided: ["colour"]',
              documentation_url:
                "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event",
            },
          })
          const gateway = yield* WorkflowRunsGateway
          const error = yield* Effect.flip(
            gateway.dispatch({ ...dispatchRequest, inputs: { colour: "red" } }),
          )
          assert.strictEqual(error.reason, "InvalidInputs")
          assert.strictEqual(error.status, 422)
          assert.strictEqual(error.operation, "dispatch")
          assert.include(error.detail, 'Unexpected inputs provided: ["colour"]')
          assert.strictEqual(requestsTo(standIn, dispatchesPath).length, 1)
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect("a 5xx on dispatch is Unavailable at once: a retry could start the workflow twice", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          standIn.script(`POST ${dispatchesPath}`, { status: 502, body: { message: "Bad Gateway" } })
          const gateway = yield* WorkflowRunsGateway
          const error = yield* Effect.flip(gateway.dispatch(dispatchRequest))
          assert.strictEqual(error.reason, "Unavailable")
          assert.strictEqual(error.status, 502)
          assert.strictEqual(requestsTo(standIn, dispatchesPath).length, 1)
        }).pipe(Effect.provide(gatewayOn(standIn, { retries: 2 }))),
      ),
    )
  })

  describe("getRun", () => {
    it.effect("an existing run is Some", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          standIn.addRuns(runJson({ id: 77, created_at: "2026-03-01T11:00:00Z", status: "in_progress" }))
          const gateway = yield* WorkflowRunsGateway
          const run = yield* gateway.getRun(repository, runId(77))
          assert.strictEqual(Option.getOrThrow(run).status, "in_progress")
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect("a 404 is None", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          const gateway = yield* WorkflowRunsGateway
          const run = yield* gateway.getRun(repository, runId(404))
          assert.isTrue(Option.isNone(run))
          assert.deepStrictEqual(
            standIn.requests.map((request) => [request.path, request.status]),
            [["/repos/octo/infra/actions/runs/404", 404]],
          )
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )
  })

  describe("failures", () => {
    const runPath = "/repos/octo/infra/actions/runs/5"
    const getRun5 = Effect.flatMap(WorkflowRunsGateway, (gateway) => gateway.getRun(repository, runId(5)))

    it.effect("a 403 with no requests left is RateLimited until x-ratelimit-reset, without waiting", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          const reset = Math.floor(Date.now() / 1000) + 3600
          standIn.script(`GET ${runPath}`, {
            status: 403,
            headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
            body: { message: rateLimitMessage },
          })
          const error = yield* Effect.flip(getRun5)
          assert.strictEqual(error.reason, "RateLimited")
          assert.strictEqual(error.status, 403)
          assert.strictEqual(error.resetAt, reset * 1000)
          assert.strictEqual(standIn.requests.length, 1)
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect("a 429 with retry-after is RateLimited until GitHub's Date plus the wait", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          standIn.script(`POST ${dispatchesPath}`, {
            status: 429,
            headers: { "retry-after": "120" },
            body: { message: "Too many requests" },
          })
          const gateway = yield* WorkflowRunsGateway
          const error = yield* Effect.flip(gateway.dispatch(dispatchRequest))
          assert.strictEqual(error.reason, "RateLimited")
          assert.strictEqual(error.status, 429)
          assert.strictEqual(error.resetAt, serverNow + 120_000)
          assert.strictEqual(standIn.requests.length, 1)
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect("a short secondary rate limit is waited out once and the call succeeds", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          standIn.addRuns(runJson({ id: 5, created_at: "2026-03-01T11:00:00Z" }))
          standIn.script(`GET ${runPath}`, {
            status: 403,
            headers: { "retry-after": "1" },
            body: { message: secondaryMessage },
          })
          const run = yield* getRun5
          assert.isTrue(Option.isSome(run))
          assert.deepStrictEqual(
            standIn.requests.map((request) => request.status),
            [403, 200],
          )
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect("a secondary rate limit that persists surfaces as RateLimited after the allowed waits", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          const limited = {
            status: 403,
            headers: { "retry-after": "1" },
            body: { message: secondaryMessage },
          }
          standIn.script(`GET ${runPath}`, limited, limited, limited, limited)
          const error = yield* Effect.flip(getRun5)
          assert.strictEqual(error.reason, "RateLimited")
          assert.strictEqual(error.resetAt, serverNow + 1000)
          assert.strictEqual(standIn.requests.length, 3)
        }).pipe(Effect.provide(gatewayOn(standIn, { rateLimitRetries: 2 }))),
      ),
    )

    it.effect("a rate limit with a long wait is not waited out in-process", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          standIn.script(`GET ${runPath}`, {
            status: 403,
            headers: { "retry-after": "61" },
            body: { message: secondaryMessage },
          })
          const error = yield* Effect.flip(getRun5)
          assert.strictEqual(error.reason, "RateLimited")
          assert.strictEqual(error.resetAt, serverNow + 61_000)
          assert.strictEqual(standIn.requests.length, 1)
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect("a plain 403 is Unauthorized", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          standIn.script(`GET ${runPath}`, {
            status: 403,
            body: { message: "Resource not accessible by integration" },
          })
          const error = yield* Effect.flip(getRun5)
          assert.strictEqual(error.reason, "Unauthorized")
          assert.include(error.detail, "Resource not accessible by integration")
          assert.isUndefined(error.resetAt)
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect("a 500 is retried by the plugin, then Unavailable", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          const failing = { status: 500, body: { message: "Server Error" } }
          standIn.script(`GET ${runPath}`, failing, failing, failing)
          const error = yield* Effect.flip(getRun5)
          assert.strictEqual(error.reason, "Unavailable")
          assert.strictEqual(error.status, 500)
          assert.strictEqual(standIn.requests.length, 3)
        }).pipe(Effect.provide(gatewayOn(standIn, { retries: 2 }))),
      ),
    )

    it.effect("a 502 followed by success succeeds", () =>
      withStandIn((standIn) =>
        Effect.gen(function* () {
          standIn.addRuns(runJson({ id: 5, created_at: "2026-03-01T11:00:00Z" }))
          standIn.script(`GET ${runPath}`, { status: 502, body: { message: "Bad Gateway" } })
          const run = yield* getRun5
          assert.isTrue(Option.isSome(run))
          assert.deepStrictEqual(
            standIn.requests.map((request) => request.status),
            [502, 200],
          )
        }).pipe(Effect.provide(gatewayOn(standIn))),
      ),
    )

    it.effect(
      "a server that refuses the connection is ConnectionRefused: transient, and proof nothing was done",
      () =>
        Effect.gen(function* () {
          const standIn = yield* Effect.promise(() => startGitHubStandIn())
          yield* Effect.promise(() => standIn.close())
          const error = yield* Effect.flip(getRun5).pipe(Effect.provide(gatewayOn(standIn, { retries: 1 })))
          assert.strictEqual(error.reason, "ConnectionRefused")
          assert.isTrue(isTransientGatewayError(error))
          assert.isUndefined(error.status)
        }),
    )
  })
})

describe("Octokit client", () => {
  it.effect("a GitHub App gets an installation token with its JWT and calls with that token", () =>
    withStandIn((standIn) =>
      Effect.gen(function* () {
        const gateway = yield* WorkflowRunsGateway
        yield* gateway.getRun(repository, runId(1))
        const [tokenRequest, runRequest] = standIn.requests
        assert.strictEqual(tokenRequest?.path, "/app/installations/4711/access_tokens")
        assert.match(tokenRequest?.headers.authorization ?? "", /^bearer [\w-]+\.[\w-]+\.[\w-]+$/)
        assert.strictEqual(runRequest?.headers.authorization, "token ghs_standin_installation_4711")
      }).pipe(
        Effect.provide(
          OctokitGateway.layer.pipe(
            Layer.provide(
              OctokitClient.layer({
                baseUrl: standIn.url,
                auth: { appId: "12345", privateKey: Redacted.make(pkcs1Key()), installationId: 4711 },
              }),
            ),
          ),
        ),
      ),
    ),
  )

  it.effect("a GitHub App's identity is its bot, from GET /app with the App's JWT", () =>
    withStandIn(
      (standIn) =>
        Effect.gen(function* () {
          assert.strictEqual(yield* identity, "deployer-app[bot]")
          const [asked, ...others] = standIn.requests
          assert.deepStrictEqual([asked?.method, asked?.path, asked?.status], ["GET", "/app", 200])
          assert.match(asked?.headers.authorization ?? "", /^bearer [\w-]+\.[\w-]+\.[\w-]+$/)
          assert.deepStrictEqual(others, [], "no installation token is needed to ask")
        }).pipe(
          Effect.provide(
            gatewayOn(
              standIn,
              {},
              { appId: "12345", privateKey: Redacted.make(pkcs1Key()), installationId: 4711 },
            ),
          ),
        ),
      { appSlug: "deployer-app" },
    ),
  )

  it.effect("runs dispatched by a GitHub App are its bot's, and only those are listed as ours", () =>
    withStandIn((standIn) =>
      Effect.gen(function* () {
        const gateway = yield* WorkflowRunsGateway
        standIn.addRuns(runJson({ id: 1, created_at: "2026-03-01T12:00:00Z" }))
        const dispatched = yield* gateway.dispatch(dispatchRequest)
        const runs = yield* listAll({ ...runsFilter, actor: yield* gateway.identity })
        assert.deepStrictEqual(
          runs.map((run) => [run.id, run.actor, run.triggeringActor]),
          [[Option.getOrThrow(dispatched.runId), "run-index-standin[bot]", "run-index-standin[bot]"]],
        )
      }).pipe(
        Effect.provide(
          gatewayOn(
            standIn,
            {},
            { appId: "12345", privateKey: Redacted.make(pkcs1Key()), installationId: 4711 },
          ),
        ),
      ),
    ),
  )

  it.effect("layerConfig reads GITHUB_API_URL and GITHUB_TOKEN", () =>
    withStandIn((standIn) =>
      Effect.gen(function* () {
        const gateway = yield* WorkflowRunsGateway
        yield* gateway.getRun(repository, runId(1))
        assert.strictEqual(standIn.requests[0]?.headers.authorization, `token ${token}`)
        assert.match(standIn.requests[0]?.headers["user-agent"] ?? "", /^run-index /)
      }).pipe(
        Effect.provide(OctokitGateway.layer.pipe(Layer.provide(OctokitClient.layerConfig))),
        fromEnvironment({ GITHUB_API_URL: standIn.url, GITHUB_TOKEN: token }),
      ),
    ),
  )

  it.effect("layerConfig takes a GitHub App key whose line breaks are written as \\n", () =>
    withStandIn((standIn) =>
      Effect.gen(function* () {
        const gateway = yield* WorkflowRunsGateway
        yield* gateway.getRun(repository, runId(1))
        assert.strictEqual(standIn.requests[1]?.headers.authorization, "token ghs_standin_installation_99")
      }).pipe(
        Effect.provide(OctokitGateway.layer.pipe(Layer.provide(OctokitClient.layerConfig))),
        fromEnvironment({
          GITHUB_API_URL: standIn.url,
          GITHUB_TOKEN: token,
          GITHUB_APP_ID: "12345",
          GITHUB_APP_PRIVATE_KEY: pkcs1Key().trim().replaceAll("\n", "\\n"),
          GITHUB_APP_INSTALLATION_ID: "99",
        }),
      ),
    ),
  )

  it.effect("without credentials the configuration error names the variables to set", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(OctokitClient.config.pipe(fromEnvironment({})))
      for (const name of [
        "GITHUB_TOKEN",
        "GITHUB_APP_ID",
        "GITHUB_APP_PRIVATE_KEY",
        "GITHUB_APP_INSTALLATION_ID",
      ]) {
        assert.include(error.message, name)
      }
    }),
  )

  it.effect("the options read from the environment keep the token and the private key redacted", () =>
    Effect.gen(function* () {
      const key = pkcs1Key()
      const withToken = yield* OctokitClient.config.pipe(fromEnvironment({ GITHUB_TOKEN: token }))
      const withApp = yield* OctokitClient.config.pipe(
        fromEnvironment({ GITHUB_APP_ID: "1", GITHUB_APP_PRIVATE_KEY: key, GITHUB_APP_INSTALLATION_ID: "2" }),
      )
      const printed = [
        JSON.stringify(withToken),
        String(withToken.auth),
        JSON.stringify(withApp),
        String(withApp.auth),
      ]
      for (const text of printed) {
        assert.notInclude(text, token)
        assert.notInclude(text, "PRIVATE KEY")
      }
    }),
  )

  it.effect("a GitHub App configured in part is an error naming what is missing", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        OctokitClient.config.pipe(fromEnvironment({ GITHUB_TOKEN: token, GITHUB_APP_ID: "12345" })),
      )
      assert.include(error.message, "missing GITHUB_APP_PRIVATE_KEY, GITHUB_APP_INSTALLATION_ID")
      assert.notInclude(error.message, token)
    }),
  )
})
