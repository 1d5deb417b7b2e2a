import { Chunk, Effect, Option, Ref, Stream } from "effect"
import type { RunId } from "../../domain/RunId.js"
import { type RepositoryName, splitRepository, type WorkflowRun } from "../../domain/WorkflowRun.js"
import type { GatewayError, RunFilter } from "../../ports/WorkflowRunsGateway.js"
import { decodeRun, decodeRunsPage, toWorkflowRun } from "./OctokitAnswers.js"
import { call, header, statusOf, undecodable } from "./OctokitCall.js"
import { OctokitClient } from "./OctokitClient.js"

/** Runs per page when the filter does not say: GitHub's maximum, so a listing takes as few calls as it can. */
const defaultPerPage = 100

/** Pages whose ETag is kept for a conditional GET: enough for the few listings a resolution repeats. */
const cachedPages = 64

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

/**
 * The gateway's reading of runs: `listRuns` a page at a time (each page's ETag kept, so a listing
 * repeated while a run is awaited costs a 304), and `getRun`. The page cache is state of the
 * gateway built.
 */
export const makeRunListing = Effect.gen(function* () {
  const octokit = yield* OctokitClient
  /** The last pages listed, by URL, least recently used first. */
  const pages = yield* Ref.make<ReadonlyMap<string, CachedPage>>(new Map())

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

  return { listRuns, getRun }
})
