import {
  Chunk,
  Clock,
  type ConfigError,
  Duration,
  Effect,
  Layer,
  Metric,
  Option,
  Ref,
  Schema,
  Stream,
} from "effect"
import { RunId } from "../../domain/RunId.js"
import {
  GitHubLogin,
  GitHubRun,
  type RepositoryName,
  RepositoryName as RepositoryNameSchema,
  splitRepository,
  type WorkflowRun,
  workflowRunOf,
} from "../../domain/WorkflowRun.js"
import {
  type Dispatched,
  type DispatchRequest,
  GatewayError,
  type GatewayFailureReason,
  type RunFilter,
  WorkflowRunsGateway,
} from "../../ports/WorkflowRunsGateway.js"
import * as Metrics from "../../programs/Metrics.js"
import * as Settings from "../Settings.js"
import { OctokitClient } from "./OctokitClient.js"

/** Runs per page when the filter does not say: GitHub's maximum, so a listing takes as few calls as it can. */
const defaultPerPage = 100

/** Pages whose ETag is kept for a conditional GET: enough for the few listings a resolution repeats. */
const cachedPages = 64

/**
 * One call, the plugins' retries and rate-limit waits included (at most a minute each), must end by
 * then; the abort reaches the socket.
 */
const callDeadline = Duration.minutes(3)

/** GitHub's advice for a secondary rate limit that names no `retry-after`: wait at least a minute. */
const secondaryRateLimitWait = Duration.minutes(1)

/** What a rejected Octokit call says about itself: a RequestError with or without a response. */
const OctokitFailure = Schema.Struct({
  message: Schema.optional(Schema.String),
  status: Schema.optional(Schema.Number),
  response: Schema.optional(
    Schema.Struct({
      headers: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
      data: Schema.optional(Schema.Unknown),
    }),
  ),
})
type OctokitFailure = typeof OctokitFailure.Type
const decodeFailure = Schema.decodeUnknownOption(OctokitFailure)

/** GitHub's JSON error body. */
const GitHubMessage = Schema.Struct({ message: Schema.String })
const decodeGitHubMessage = Schema.decodeUnknownOption(GitHubMessage)

const statusOf = (error: unknown): number | undefined => Option.getOrUndefined(decodeFailure(error))?.status

const header = (headers: Readonly<Record<string, unknown>>, name: string): string | undefined => {
  const value = headers[name]
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined
}

/** A `Date` header as epoch ms, when there is a readable one. */
const serverClock = (headers: Readonly<Record<string, unknown>>): Option.Option<number> =>
  Option.fromNullable(header(headers, "date")).pipe(
    Option.map(Date.parse),
    Option.filter((millis) => !Number.isNaN(millis)),
  )

/** `retry-after` in seconds or as an HTTP date. */
const retryAfter = (value: string, serverNow: number): number | undefined => {
  const seconds = Number(value)
  if (value.trim() !== "" && Number.isFinite(seconds)) return serverNow + seconds * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : date
}

interface RateLimit {
  readonly resetAt: number | undefined
}

/**
 * A 403 or 429 is a rate limit when GitHub says so: no requests left (`x-ratelimit-remaining: 0`,
 * reset at `x-ratelimit-reset`), a `retry-after`, or a secondary-limit message. A plain 403 is a
 * permission problem; a 429 is always a rate limit.
 */
const rateLimitOf = (
  status: number,
  headers: Readonly<Record<string, unknown>>,
  message: string,
  now: number,
): Option.Option<RateLimit> => {
  if (status !== 403 && status !== 429) return Option.none()
  const serverNow = Option.getOrElse(serverClock(headers), () => now)
  const after = header(headers, "retry-after")
  if (after !== undefined) return Option.some({ resetAt: retryAfter(after, serverNow) })
  if (header(headers, "x-ratelimit-remaining") === "0") {
    const reset = Number(header(headers, "x-ratelimit-reset"))
    return Option.some({ resetAt: Number.isFinite(reset) && reset > 0 ? reset * 1000 : undefined })
  }
  if (/secondary rate limit/i.test(message)) {
    return Option.some({ resetAt: serverNow + Duration.toMillis(secondaryRateLimitWait) })
  }
  return status === 429 ? Option.some({ resetAt: undefined }) : Option.none()
}

const reasonOfStatus = (status: number): GatewayFailureReason => {
  if (status === 401 || status === 403) return "Unauthorized"
  if (status === 404 || status === 410 || status === 451) return "NotFound"
  if (status >= 400 && status < 500) return "InvalidInputs"
  return "Unavailable"
}

/** Every rejection of an Octokit call, as the port's error; `now` only when GitHub sent no `Date`. */
export const toGatewayError = (
  operation: string,
  target: string,
  cause: unknown,
  now: number,
): GatewayError =>
  Option.match(decodeFailure(cause), {
    // Not Octokit's: an abort, or a bug in the handling of the answer.
    onNone: () =>
      new GatewayError({ reason: "Unavailable", operation, detail: `${target}: ${cause}`, cause }),
    onSome: (failure: OctokitFailure) => {
      const message = failure.message ?? String(cause)
      const response = failure.response
      // Octokit reports a network failure as status 500 without a response, with the network
      // error's message: `connect ECONNREFUSED 127.0.0.1:8080`, or `bad port` for a port `fetch`
      // never connects to (such as 1). Neither request left this host, so GitHub did nothing; any
      // other network failure (a reset, a timeout) may have reached it.
      if (response === undefined || failure.status === undefined) {
        return new GatewayError({
          reason:
            message.includes("ECONNREFUSED") || message === "bad port" ? "ConnectionRefused" : "Unavailable",
          operation,
          detail: `${target}: ${message}`,
          cause,
        })
      }
      const githubMessage = Option.match(decodeGitHubMessage(response.data), {
        onNone: () => message,
        onSome: (body) => body.message,
      })
      const detail = `${target}: ${githubMessage}`
      return Option.match(rateLimitOf(failure.status, response.headers, githubMessage, now), {
        onSome: ({ resetAt }) =>
          new GatewayError({
            reason: "RateLimited",
            operation,
            detail,
            status: failure.status!,
            ...(resetAt === undefined ? {} : { resetAt }),
            cause,
          }),
        onNone: () =>
          new GatewayError({
            reason: reasonOfStatus(failure.status!),
            operation,
            detail,
            status: failure.status!,
            cause,
          }),
      })
    },
  })

/** The answer GitHub gives a dispatch with `return_run_details: true`. */
const RunDetails = Schema.Struct({
  workflow_run_id: RunId,
  run_url: Schema.String,
  html_url: Schema.String,
})
const decodeRunDetails = Schema.decodeUnknownEither(RunDetails)

/** A run as the REST API lists it: GitHub's run, with the repository it belongs to. */
const ListedRun = Schema.extend(
  GitHubRun,
  Schema.Struct({ repository: Schema.Struct({ full_name: RepositoryNameSchema }) }),
)
type ListedRun = typeof ListedRun.Type

const toWorkflowRun = (run: ListedRun): WorkflowRun => workflowRunOf(run, run.repository.full_name)

const decodeRun = Schema.decodeUnknown(ListedRun)
const decodeRunsPage = Schema.decodeUnknown(Schema.Struct({ workflow_runs: Schema.Array(ListedRun) }))

/** How the client authenticates, as Octokit's auth strategy reports it (`auth()` without a request). */
const Authentication = Schema.Struct({ type: Schema.String, tokenType: Schema.optional(Schema.String) })
const decodeAuthentication = Schema.decodeUnknown(Authentication)

/** `GET /user`: the user a token belongs to. */
const decodeUser = Schema.decodeUnknown(Schema.Struct({ login: GitHubLogin }))

/** `GET /app`: the App a JWT belongs to; its runs' actor is its bot account, `<slug>[bot]`. */
const decodeApp = Schema.decodeUnknown(
  Schema.Struct({
    slug: Schema.String.pipe(
      Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, { message: () => "must be a GitHub App slug" }),
    ),
  }),
)

/** GitHub's date filter wants whole seconds; flooring keeps `>=` inclusive. */
const createdFilter = (from: number): string =>
  `>=${new Date(Math.floor(from / 1000) * 1000).toISOString().replace(".000Z", "Z")}`

const nextPage = (link: string | undefined): Option.Option<string> =>
  Option.fromNullable(link?.match(/<([^<>]+)>;\s*rel="next"/)?.[1])

/** A page as last seen: replayed when GitHub answers 304 to its ETag. */
interface CachedPage {
  readonly etag: string
  readonly runs: Chunk.Chunk<WorkflowRun>
  readonly next: Option.Option<string>
}

/** A server without `return_run_details` (GHES ≤ 3.20) rejects the unknown field with a 400 or 422 naming it. */
const refusesRunDetails = (error: GatewayError): boolean =>
  (error.status === 400 || error.status === 422) && error.detail.includes("return_run_details")

export interface OctokitGatewayOptions {
  /** The login whose runs the dispatches create, when known (`GITHUB_ACTOR`); otherwise asked of GitHub. */
  readonly actor?: string
}

const make = (options: OctokitGatewayOptions) =>
  Effect.gen(function* () {
    const octokit = yield* OctokitClient
    /** False once this server refused `return_run_details`: later dispatches leave it out. */
    const runDetailsSupported = yield* Ref.make(true)
    /** The last pages listed, by URL, least recently used first. */
    const pages = yield* Ref.make<ReadonlyMap<string, CachedPage>>(new Map())

    /**
     * Every Octokit call goes through here: cancellation reaches the socket, every rejection is a
     * GatewayError with its reason and cause, and a call that hangs ends as Unavailable.
     */
    const call = <A>(
      operation: string,
      target: string,
      send: (signal: AbortSignal) => Promise<A>,
    ): Effect.Effect<A, GatewayError> =>
      Effect.tryPromise({ try: send, catch: (cause) => cause }).pipe(
        Effect.catchAll((cause) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.fail(toGatewayError(operation, target, cause, now)),
          ),
        ),
        Effect.timeoutFail({
          duration: callDeadline,
          onTimeout: () =>
            new GatewayError({
              reason: "Unavailable",
              operation,
              detail: `${target}: no answer within ${Duration.format(callDeadline)}`,
            }),
        }),
        Effect.tapError((error) => Metric.increment(Metrics.gatewayErrors[error.reason])),
      )

    const undecodable = (operation: string, target: string, error: unknown) =>
      new GatewayError({
        reason: "Unavailable",
        operation,
        detail: `${target}: GitHub's answer does not decode: ${error}`,
        cause: error,
      })

    const dispatchOnce = (request: DispatchRequest, withRunDetails: boolean) => {
      const { owner, repo } = splitRepository(request.repository)
      return call("dispatch", `${request.repository} ${request.workflow}@${request.ref}`, (signal) =>
        octokit.request("POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", {
          owner,
          repo,
          workflow_id: request.workflow,
          ref: request.ref,
          inputs: { ...request.inputs },
          ...(withRunDetails ? { return_run_details: true } : {}),
          // A 5xx or a lost answer may hide a run already created: a blind retry could start the
          // workflow twice. The caller decides (list the runs first). Rate limits are still waited out.
          request: { signal, retries: 0 },
        }),
      )
    }

    const dispatch = Effect.fn("OctokitGateway.dispatch")(function* (request: DispatchRequest) {
      const askForRunDetails = yield* Ref.get(runDetailsSupported)
      const response = yield* dispatchOnce(request, askForRunDetails).pipe(
        Effect.catchIf(
          (error) => askForRunDetails && refusesRunDetails(error),
          () =>
            Ref.set(runDetailsSupported, false).pipe(
              Effect.zipRight(Effect.logInfo("GitHub does not return run details here; dispatching without")),
              Effect.zipRight(dispatchOnce(request, false)),
            ),
        ),
      )
      const serverTime = yield* Option.match(serverClock(response.headers), {
        onNone: () => Clock.currentTimeMillis,
        onSome: Effect.succeed,
      })
      const noRun: Dispatched = {
        runId: Option.none(),
        runUrl: Option.none(),
        htmlUrl: Option.none(),
        serverTime,
      }
      if (response.status !== 200) return noRun
      const details = decodeRunDetails(response.data)
      if (details._tag === "Left") {
        // The workflow was dispatched: failing now would invite a second dispatch. Find the run instead.
        yield* Effect.logWarning(
          "GitHub's run details for a dispatch do not decode; resolving the run by listing",
          {
            repository: request.repository,
            workflow: request.workflow,
            error: details.left.message,
          },
        )
        return noRun
      }
      return {
        runId: Option.some(details.right.workflow_run_id),
        runUrl: Option.some(details.right.run_url),
        htmlUrl: Option.some(details.right.html_url),
        serverTime,
      } satisfies Dispatched
    })

    const recall = (url: string) =>
      Ref.modify(pages, (cache): [Option.Option<CachedPage>, ReadonlyMap<string, CachedPage>] => {
        const page = cache.get(url)
        if (page === undefined) return [Option.none(), cache]
        const touched = new Map(cache)
        touched.delete(url)
        touched.set(url, page)
        return [Option.some(page), touched]
      })

    const remember = (url: string, page: CachedPage) =>
      Ref.update(pages, (cache) => {
        const updated = new Map(cache)
        updated.delete(url)
        updated.set(url, page)
        for (const oldest of updated.keys()) {
          if (updated.size <= cachedPages) break
          updated.delete(oldest)
        }
        return updated
      })

    const listRunsPage = Effect.fn("OctokitGateway.listRunsPage")(function* (target: string, url: string) {
      const cached = yield* recall(url)
      const answer = yield* call("listRuns", target, (signal) =>
        octokit
          .request({
            method: "GET",
            url,
            headers: Option.match(cached, {
              onNone: () => ({}),
              onSome: (page) => ({ "if-none-match": page.etag }),
            }),
            request: { signal },
          })
          .then(
            (response) => Option.some(response),
            (error: unknown) => {
              // Octokit rejects a 304 like an error; it means the cached page is still current.
              if (Option.isSome(cached) && statusOf(error) === 304) return Option.none()
              throw error
            },
          ),
      )
      if (Option.isNone(answer)) return Option.getOrThrow(cached)
      const response = answer.value
      const body = yield* decodeRunsPage(response.data).pipe(
        Effect.mapError((error) => undecodable("listRuns", target, error)),
      )
      const page: CachedPage = {
        etag: header(response.headers, "etag") ?? "",
        runs: Chunk.fromIterable(body.workflow_runs.map(toWorkflowRun)),
        next: nextPage(header(response.headers, "link")),
      }
      if (page.etag !== "") yield* remember(url, page)
      return page
    })

    const listRuns = (filter: RunFilter): Stream.Stream<WorkflowRun, GatewayError> => {
      const { owner, repo } = splitRepository(filter.repository)
      const target = `${filter.repository} ${filter.workflow}`
      const firstPage: string = octokit.request.endpoint(
        "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
        {
          owner,
          repo,
          workflow_id: filter.workflow,
          ...(filter.branch === undefined ? {} : { branch: filter.branch }),
          ...(filter.event === undefined ? {} : { event: filter.event }),
          ...(filter.actor === undefined ? {} : { actor: filter.actor }),
          ...(filter.createdFrom === undefined ? {} : { created: createdFilter(filter.createdFrom) }),
          per_page: filter.perPage ?? defaultPerPage,
        },
      ).url
      return Stream.paginateChunkEffect(firstPage, (url) =>
        Effect.map(listRunsPage(target, url), (page) => [page.runs, page.next] as const),
      ).pipe(
        Stream.withSpan("OctokitGateway.listRuns", {
          attributes: { repository: filter.repository, workflow: filter.workflow },
        }),
      )
    }

    const getRun = Effect.fn("OctokitGateway.getRun")(function* (repository: RepositoryName, runId: RunId) {
      const { owner, repo } = splitRepository(repository)
      const target = `${repository} run ${runId}`
      const data = yield* call("getRun", target, (signal) =>
        octokit
          .request("GET /repos/{owner}/{repo}/actions/runs/{run_id}", {
            owner,
            repo,
            run_id: runId,
            request: { signal },
          })
          .then(
            (response): Option.Option<unknown> => Option.some(response.data),
            (error: unknown) => {
              if (statusOf(error) === 404) return Option.none()
              throw error
            },
          ),
      )
      if (Option.isNone(data)) return Option.none<WorkflowRun>()
      const run = yield* decodeRun(data.value).pipe(
        Effect.mapError((error) => undecodable("getRun", target, error)),
      )
      return Option.some(toWorkflowRun(run))
    })

    const askIdentity = Effect.gen(function* () {
      const authentication = yield* call("identity", "authentication", () => octokit.auth({ type: "app" }))
      const { type, tokenType } = yield* decodeAuthentication(authentication).pipe(
        Effect.mapError((error) => undecodable("identity", "authentication", error)),
      )
      if (type === "app" || tokenType === "app") {
        const app = yield* call("identity", "GET /app", (signal) =>
          octokit.rest.apps.getAuthenticated({ request: { signal } }),
        )
        const { slug } = yield* decodeApp(app.data).pipe(
          Effect.mapError((error) => undecodable("identity", "GET /app", error)),
        )
        return `${slug}[bot]`
      }
      if (tokenType === "installation") {
        return yield* new GatewayError({
          reason: "NotConfigured",
          operation: "identity",
          detail:
            "an installation token cannot say which App it belongs to: set GITHUB_ACTOR to the login its runs show (<slug>[bot])",
        })
      }
      const user = yield* call("identity", "GET /user", (signal) =>
        octokit.rest.users.getAuthenticated({ request: { signal } }),
      )
      const { login } = yield* decodeUser(user.data).pipe(
        Effect.mapError((error) => undecodable("identity", "GET /user", error)),
      )
      return login
    })

    /** The identity once learned; a failure leaves it unset so the next call asks again. */
    const learned = yield* Ref.make(Option.fromNullable(options.actor))
    const learning = yield* Effect.makeSemaphore(1)
    const identity = Effect.flatMap(Ref.get(learned), (known) =>
      Option.isSome(known)
        ? Effect.succeed(known.value)
        : learning.withPermits(1)(
            // Callers that waited for the permit find what the first one learned.
            Effect.flatMap(Ref.get(learned), (again) =>
              Option.isSome(again)
                ? Effect.succeed(again.value)
                : Effect.tap(askIdentity, (login) => Ref.set(learned, Option.some(login))),
            ),
          ),
    ).pipe(Effect.withSpan("OctokitGateway.identity"))

    return WorkflowRunsGateway.of({ identity, dispatch, listRuns, getRun })
  })

/** GitHub Actions through the Octokit in `OctokitClient`; the identity is asked of GitHub when first needed. */
export const layer: Layer.Layer<WorkflowRunsGateway, never, OctokitClient> = Layer.effect(
  WorkflowRunsGateway,
  make({}),
)

/** As `layer`, with what the options say (a known identity is never asked of GitHub). */
export const layerWith = (
  options: OctokitGatewayOptions,
): Layer.Layer<WorkflowRunsGateway, never, OctokitClient> => Layer.effect(WorkflowRunsGateway, make(options))

/** As `layer`, the identity from `GITHUB_ACTOR` when it is set; an invalid login is a ConfigError naming it. */
export const layerConfig: Layer.Layer<WorkflowRunsGateway, ConfigError.ConfigError, OctokitClient> =
  Layer.unwrapEffect(
    Effect.map(Settings.githubActor, (actor) =>
      layerWith(Option.match(actor, { onNone: () => ({}), onSome: (login) => ({ actor: login }) })),
    ),
  )
