import { createHash, randomUUID } from "node:crypto"
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { sign } from "@octokit/webhooks-methods"

/** One scripted answer: a status, headers to add, and a JSON body (none when absent). */
export interface StandInResponse {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: unknown
}

/** A request the stand-in answered, with the status it answered. */
export interface StandInRequest {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly headers: IncomingHttpHeaders
  /** The parsed JSON body, or `undefined` when there was none. */
  readonly body: unknown
  readonly status: number
}

/** A workflow run as GitHub's REST API returns it (the fields this project reads, and a few more). */
export interface RunJson {
  readonly id: number
  readonly name: string
  readonly display_title: string
  readonly path: string
  readonly event: string
  readonly status: string
  readonly conclusion: string | null
  readonly head_branch: string | null
  readonly head_sha: string
  readonly run_attempt: number
  readonly created_at: string
  readonly updated_at: string
  readonly html_url: string
  readonly url: string
  readonly workflow_id: number
  readonly actor: { readonly login: string } | null
  readonly triggering_actor: { readonly login: string } | null
  readonly repository: { readonly full_name: string }
}

export interface GitHubStandInOptions {
  /**
   * Whether dispatches honour `return_run_details`: `"supported"` answers 200 with the run (the default),
   * `"refused"` answers 400 naming the field (GHES ≤ 3.20), `"ignored"` answers 204 as before the field.
   */
  readonly runDetails?: "supported" | "refused" | "ignored"
  /** The login `GET /user` answers for a token, and the actor of runs dispatched with one (default `octocat`). */
  readonly user?: string
  /** The slug `GET /app` answers; runs dispatched with its installation token are `<slug>[bot]`'s (default `run-index-standin`). */
  readonly appSlug?: string
  /**
   * When set, a dispatch's run is created a random delay in this range after the call (ms), as GitHub
   * does, so runs can appear out of dispatch order; by default it is created before the answer.
   * Delayed runs can only be learned by listing (a `return_run_details` dispatch still answers 204).
   */
  readonly runDelay?: { readonly minMillis: number; readonly maxMillis: number }
}

/** The stand-in's own record of a dispatch and the run it created. */
export interface CreatedRun {
  /** The `inputs` the dispatch call sent (`{}` when none). */
  readonly inputs: Readonly<Record<string, unknown>>
  /** Who dispatched: the token's login, the App's bot, or the login given to `dispatchAs`. */
  readonly login: string
  readonly runId: number
}

export interface GitHubStandIn {
  /** The `baseUrl` to give Octokit: `http://127.0.0.1:<port>`. */
  readonly url: string
  /** Answers for `"<METHOD> <path>"` (no query), used in order before the stand-in's own handling. */
  readonly script: (route: string, ...responses: ReadonlyArray<StandInResponse>) => void
  /** Runs the stand-in knows, in any order; listings sort them newest first as GitHub does. */
  readonly addRuns: (...runs: ReadonlyArray<RunJson>) => void
  /** Sets the stand-in's clock (epoch ms): its `Date` header and the creation time of dispatched runs. */
  readonly setClock: (now: number) => void
  /** Every request answered so far, in arrival order. */
  readonly requests: ReadonlyArray<StandInRequest>
  /** Which dispatch created which run, in order of creation (runs given to `addRuns` are not here). */
  readonly created: ReadonlyArray<CreatedRun>
  /**
   * Someone else's dispatch, as if through the API with their credentials: creates a
   * `workflow_dispatch` run of `login` (after `runDelay` when set) without a request to the stand-in.
   */
  readonly dispatchAs: (
    login: string,
    dispatch: { readonly repository: string; readonly workflow: string; readonly ref: string },
  ) => void
  /**
   * The repository webhook `owner/repo` hook `hookId` (`repo:<owner>/<repo>/<hookId>`): sends a
   * delivery to its URL as GitHub does (signed, `X-GitHub-Delivery`), and records the attempt with
   * the status the endpoint answered (0 when it did not answer within 10 s) for the hook deliveries API.
   */
  readonly hook: {
    readonly owner: string
    readonly repo: string
    readonly hookId: number
    /** Where deliveries go, and the secret they are signed with. */
    readonly configure: (url: string, secret: string) => void
    readonly deliver: (event: string, body: string, guid?: string) => Promise<HookAttempt>
    /** Every delivery attempt, oldest first (redeliveries included). */
    readonly attempts: ReadonlyArray<HookAttempt>
  }
  readonly close: () => Promise<void>
}

/** One delivery attempt of the stand-in's webhook, as GitHub's hook deliveries API lists it. */
export interface HookAttempt {
  readonly id: number
  readonly guid: string
  readonly delivered_at: string
  readonly redelivery: boolean
  readonly status: string
  readonly status_code: number
  readonly event: string
  readonly action: string | null
  readonly duration: number
  /** Milliseconds the endpoint took to answer (not in GitHub's listing). */
  readonly answeredAfterMillis: number
  readonly body: string
}

const workflowIds = new Map([
  ["plan.yml", 101],
  ["apply.yml", 102],
  ["destroy.yml", 103],
  ["cleanup.yml", 104],
  ["drift_plan.yml", 105],
])

/** A run with GitHub's shape and plausible defaults for what the caller does not say. */
export const runJson = (
  fields: Partial<RunJson> & { readonly id: number; readonly created_at: string },
): RunJson => {
  const repository = fields.repository?.full_name ?? "octo/infra"
  const path = fields.path ?? ".github/workflows/apply.yml"
  const actor = fields.actor === undefined ? { login: "octocat" } : fields.actor
  return {
    name: "apply",
    display_title: `apply run ${fields.id}`,
    path,
    event: "workflow_dispatch",
    status: "queued",
    conclusion: null,
    head_branch: "main",
    head_sha: "0123456789abcdef0123456789abcdef01234567",
    run_attempt: 1,
    updated_at: fields.created_at,
    html_url: `https://github.com/${repository}/actions/runs/${fields.id}`,
    url: `https://api.github.com/repos/${repository}/actions/runs/${fields.id}`,
    workflow_id: workflowIds.get(path.split("/").pop() ?? "") ?? 100,
    actor,
    triggering_actor: actor,
    repository: { full_name: repository },
    ...fields,
  }
}

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

const parseJson = (text: string): unknown => {
  if (text === "") return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

const field = (body: unknown, name: string): unknown =>
  typeof body === "object" && body !== null ? (body as Record<string, unknown>)[name] : undefined

const notFound = {
  status: 404,
  body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" },
}

const runOrNotFound = (run: RunJson | undefined): StandInResponse =>
  run === undefined ? notFound : { status: 200, body: run }

/** GitHub's `created` qualifier, the forms this project sends: `>=<ISO>` (and a bare date). */
const createdMatches = (qualifier: string | undefined, createdAt: string): boolean => {
  if (qualifier === undefined) return true
  const from = qualifier.startsWith(">=") ? qualifier.slice(2) : qualifier
  return Date.parse(createdAt) >= Date.parse(from)
}

/**
 * A loopback server that speaks enough of GitHub's REST API for the Octokit gateway: workflow
 * dispatch (with and without `return_run_details`), a workflow's runs with GitHub's filters, `Link`
 * pagination and ETags (304 on `If-None-Match`), one run, GitHub App installation tokens, and who
 * the caller is (`GET /user`, `GET /app`).
 * Scripted answers per route come first: errors, rate limits, odd bodies.
 */
export const startGitHubStandIn = async (options: GitHubStandInOptions = {}): Promise<GitHubStandIn> => {
  const runDetails = options.runDetails ?? "supported"
  const user = options.user ?? "octocat"
  const appSlug = options.appSlug ?? "run-index-standin"
  const scripts = new Map<string, Array<StandInResponse>>()
  const requests: Array<StandInRequest> = []
  const runs: Array<RunJson> = []
  const created: Array<CreatedRun> = []
  const pending = new Set<ReturnType<typeof setTimeout>>()
  let now: number | undefined
  let nextRunId = 9_000_000_001
  let baseUrl = ""

  const clock = () => now ?? Date.now()

  const hookOwner = "acme"
  const hookRepo = "infra"
  const hookId = 1
  const hookAttempts: Array<HookAttempt> = []
  let hookUrl = ""
  let hookSecret = ""
  let nextAttemptId = 1

  const sendDelivery = async (event: string, body: string, guid: string, redelivery: boolean) => {
    const started = Date.now()
    const status_code = await fetch(hookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": guid,
        "x-github-hook-id": String(hookId),
        "x-hub-signature-256": await sign(hookSecret, body),
      },
      body,
      signal: AbortSignal.timeout(10_000),
    }).then(
      async (response) => {
        await response.arrayBuffer()
        return response.status
      },
      () => 0,
    )
    const attempt: HookAttempt = {
      id: nextAttemptId++,
      guid,
      delivered_at: new Date(started).toISOString().replace(/\.\d{3}Z$/, "Z"),
      redelivery,
      status: status_code >= 200 && status_code < 300 ? "OK" : `Invalid HTTP Response: ${status_code}`,
      status_code,
      event,
      action:
        typeof field(parseJson(body), "action") === "string"
          ? (field(parseJson(body), "action") as string)
          : null,
      duration: (Date.now() - started) / 1000,
      answeredAfterMillis: Date.now() - started,
      body,
    }
    hookAttempts.push(attempt)
    return attempt
  }

  const listRuns = (
    repository: string,
    workflow: string,
    query: Readonly<Record<string, string>>,
    headers: IncomingHttpHeaders,
    url: URL,
  ): StandInResponse => {
    const matching = runs
      .filter(
        (run) =>
          run.repository.full_name === repository &&
          (run.path.endsWith(`/${workflow}`) || String(run.workflow_id) === workflow) &&
          (query.branch === undefined || run.head_branch === query.branch) &&
          (query.event === undefined || run.event === query.event) &&
          (query.actor === undefined || run.actor?.login === query.actor) &&
          createdMatches(query.created, run.created_at),
      )
      .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id)
    const perPage = Math.min(Number(query.per_page ?? "30"), 100)
    const page = Number(query.page ?? "1")
    const lastPage = Math.max(1, Math.ceil(matching.length / perPage))
    const body = {
      total_count: matching.length,
      workflow_runs: matching.slice((page - 1) * perPage, page * perPage),
    }
    const etag = `W/"${createHash("sha256").update(JSON.stringify(body)).digest("hex")}"`
    const pageUrl = (number: number) => {
      const target = new URL(`${url.pathname}${url.search}`, baseUrl)
      target.searchParams.set("page", String(number))
      return target.toString()
    }
    const links = [
      ...(page < lastPage
        ? [`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`]
        : []),
      ...(page > 1 ? [`<${pageUrl(page - 1)}>; rel="prev"`, `<${pageUrl(1)}>; rel="first"`] : []),
    ]
    const linkHeader = links.length === 0 ? {} : { link: links.join(", ") }
    if (headers["if-none-match"] === etag) return { status: 304, headers: { etag, ...linkHeader } }
    return { status: 200, headers: { etag, ...linkHeader }, body }
  }

  /** Who a request authenticates as: the App's bot for its installation token, else the token's user. */
  const loginOf = (headers: IncomingHttpHeaders) =>
    headers.authorization?.startsWith("token ghs_standin_installation_") ? `${appSlug}[bot]` : user

  const createRun = (
    repository: string,
    workflow: string,
    ref: string,
    login: string,
    inputs: Readonly<Record<string, unknown>>,
  ): RunJson => {
    const id = nextRunId++
    const run = runJson({
      id,
      created_at: new Date(clock()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      path: `.github/workflows/${workflow}`,
      name: workflow.replace(/\.ya?ml$/, ""),
      head_branch: ref.replace(/^refs\/heads\//, ""),
      actor: { login },
      repository: { full_name: repository },
    })
    runs.push(run)
    created.push({ inputs, login, runId: id })
    return run
  }

  /** Creates the run after a random delay in `runDelay`. */
  const createLater = (
    repository: string,
    workflow: string,
    ref: string,
    login: string,
    inputs: Readonly<Record<string, unknown>>,
  ) => {
    const { minMillis, maxMillis } = options.runDelay ?? { minMillis: 0, maxMillis: 0 }
    const timer = setTimeout(
      () => {
        pending.delete(timer)
        createRun(repository, workflow, ref, login, inputs)
      },
      minMillis + Math.random() * (maxMillis - minMillis),
    )
    pending.add(timer)
  }

  const dispatch = (
    repository: string,
    workflow: string,
    body: unknown,
    headers: IncomingHttpHeaders,
  ): StandInResponse => {
    if (runDetails === "refused" && field(body, "return_run_details") !== undefined) {
      return {
        status: 400,
        body: {
          message: 'Invalid request.\n\n"return_run_details" is not a permitted key.',
          documentation_url: "https://docs.github.com/enterprise-server@3.20/rest",
        },
      }
    }
    const ref = field(body, "ref")
    if (typeof ref !== "string") return { status: 422, body: { message: "Invalid request: ref is missing" } }
    const sent = field(body, "inputs")
    const inputs: Readonly<Record<string, unknown>> =
      typeof sent === "object" && sent !== null ? (sent as Record<string, unknown>) : {}
    const login = loginOf(headers)
    if (options.runDelay !== undefined) {
      createLater(repository, workflow, ref, login, inputs)
      return { status: 204 }
    }
    const run = createRun(repository, workflow, ref, login, inputs)
    const id = run.id
    if (runDetails === "supported" && field(body, "return_run_details") === true) {
      return {
        status: 200,
        body: { workflow_run_id: id, run_url: run.url, html_url: run.html_url },
      }
    }
    return { status: 204 }
  }

  /** What GitHub would answer, against the stand-in's runs. */
  const handle = (
    method: string,
    url: URL,
    query: Readonly<Record<string, string>>,
    headers: IncomingHttpHeaders,
    body: unknown,
  ): StandInResponse => {
    const segments = url.pathname.split("/").slice(1).map(decodeURIComponent)
    const [root, owner, repo, actions, collection, id, leaf] = segments
    if (method === "GET" && url.pathname === "/user") {
      if (headers.authorization?.startsWith("token ghs_")) {
        return { status: 403, body: { message: "Resource not accessible by integration" } }
      }
      return { status: 200, body: { login: user, id: 583231, type: "User" } }
    }
    if (method === "GET" && url.pathname === "/app") {
      if (!headers.authorization?.startsWith("bearer ")) {
        return { status: 401, body: { message: "A JSON web token could not be decoded" } }
      }
      return { status: 200, body: { id: 12345, slug: appSlug, name: appSlug } }
    }
    if (method === "POST" && root === "app" && owner === "installations" && actions === "access_tokens") {
      return {
        status: 201,
        body: {
          token: `ghs_standin_installation_${repo}`,
          expires_at: new Date(clock() + 3_600_000).toISOString(),
          permissions: { actions: "write" },
          repository_selection: "all",
        },
      }
    }
    const hookPath = `/repos/${hookOwner}/${hookRepo}/hooks/${hookId}/deliveries`
    if (method === "GET" && url.pathname === hookPath) {
      const perPage = Math.min(Number(query.per_page ?? "30"), 100)
      const newestFirst = [...hookAttempts].reverse()
      const start = query.cursor === undefined ? 0 : Number(query.cursor)
      const page = newestFirst
        .slice(start, start + perPage)
        .map(({ answeredAfterMillis, body, ...listed }) => listed)
      const next = start + perPage < newestFirst.length
      const target = new URL(`${url.pathname}${url.search}`, baseUrl)
      target.searchParams.set("cursor", String(start + perPage))
      return {
        status: 200,
        headers: next ? { link: `<${target.toString()}>; rel="next"` } : {},
        body: page,
      }
    }
    if (method === "POST" && url.pathname.startsWith(`${hookPath}/`) && url.pathname.endsWith("/attempts")) {
      const attemptId = Number(url.pathname.slice(hookPath.length + 1, -"/attempts".length))
      const original = hookAttempts.find((attempt) => attempt.id === attemptId)
      if (original === undefined) return notFound
      void sendDelivery(original.event, original.body, original.guid, true)
      return { status: 202, body: {} }
    }
    if (root !== "repos" || actions !== "actions" || owner === undefined || repo === undefined)
      return notFound
    const repository = `${owner}/${repo}`
    if (method === "GET" && collection === "runs" && id !== undefined && segments.length === 6) {
      return runOrNotFound(
        runs.find((run) => run.repository.full_name === repository && String(run.id) === id),
      )
    }
    if (collection === "workflows" && id !== undefined && segments.length === 7) {
      if (method === "GET" && leaf === "runs") return listRuns(repository, id, query, headers, url)
      if (method === "POST" && leaf === "dispatches") return dispatch(repository, id, body, headers)
    }
    return notFound
  }

  const send = (response: ServerResponse, answer: StandInResponse) => {
    const body = answer.body === undefined || answer.status === 304 ? "" : JSON.stringify(answer.body)
    response.writeHead(answer.status, {
      date: new Date(clock()).toUTCString(),
      ...(body === "" ? {} : { "content-type": "application/json; charset=utf-8" }),
      "content-length": String(Buffer.byteLength(body)),
      "x-github-request-id": `STANDIN:${requests.length}`,
      ...answer.headers,
    })
    response.end(body)
  }

  const server = createServer((request, response) => {
    readBody(request).then(
      (text) => {
        const method = request.method ?? "GET"
        const url = new URL(request.url ?? "/", baseUrl)
        const query = Object.fromEntries(url.searchParams)
        const body = parseJson(text)
        const answer =
          scripts.get(`${method} ${url.pathname}`)?.shift() ??
          handle(method, url, query, request.headers, body)
        requests.push({
          method,
          path: url.pathname,
          query,
          headers: request.headers,
          body,
          status: answer.status,
        })
        send(response, answer)
      },
      () => response.destroy(),
    )
  })

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const { port } = server.address() as AddressInfo
  baseUrl = `http://127.0.0.1:${port}`

  return {
    url: baseUrl,
    script: (route, ...responses) => {
      const queue = scripts.get(route) ?? []
      queue.push(...responses)
      scripts.set(route, queue)
    },
    addRuns: (...added) => {
      runs.push(...added)
    },
    setClock: (time) => {
      now = time
    },
    requests,
    created,
    hook: {
      owner: hookOwner,
      repo: hookRepo,
      hookId,
      configure: (url, secret) => {
        hookUrl = url
        hookSecret = secret
      },
      deliver: (event, body, guid = randomUUID()) => sendDelivery(event, body, guid, false),
      attempts: hookAttempts,
    },
    dispatchAs: (login, { repository, workflow, ref }) => {
      if (options.runDelay !== undefined) createLater(repository, workflow, ref, login, {})
      else createRun(repository, workflow, ref, login, {})
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of pending) clearTimeout(timer)
        pending.clear()
        server.close((error) => (error === undefined ? resolve() : reject(error)))
        server.closeAllConnections()
      }),
  }
}
