import { Context, type Effect, type Option, Schema, type Stream } from "effect"
import type { RunId } from "../domain/RunId.js"
import type { RepositoryName, WorkflowRun } from "../domain/WorkflowRun.js"

export const GatewayFailureReason = Schema.Literal(
  "RateLimited",
  "NotFound",
  "Unauthorized",
  "InvalidInputs",
  "Unavailable",
  "NotConfigured",
  /** GitHub's server refused the connection: the request never reached it, so it did nothing. */
  "ConnectionRefused",
)
export type GatewayFailureReason = typeof GatewayFailureReason.Type

/** GitHub could not do what was asked. `resetAt` (epoch ms) comes with `RateLimited` when GitHub says. */
export class GatewayError extends Schema.TaggedError<GatewayError>()("GatewayError", {
  reason: GatewayFailureReason,
  operation: Schema.String,
  detail: Schema.String,
  status: Schema.optional(Schema.Number),
  resetAt: Schema.optional(Schema.Number),
  cause: Schema.optional(Schema.Defect),
}) {
  override get message(): string {
    return `GitHub ${this.operation} failed (${this.reason}${this.status === undefined ? "" : `, HTTP ${this.status}`}): ${this.detail}`
  }
}

/** Worth asking again later: the request may succeed unchanged. */
export const isTransientGatewayError = (error: GatewayError): boolean =>
  error.reason === "RateLimited" || error.reason === "Unavailable" || error.reason === "ConnectionRefused"

export interface DispatchRequest {
  readonly repository: RepositoryName
  /** The workflow file name (`apply.yml`) or its numeric id. */
  readonly workflow: string
  readonly ref: string
  readonly inputs: Readonly<Record<string, string>>
}

export interface Dispatched {
  /** The run GitHub created, when the server says (`return_run_details`). */
  readonly runId: Option.Option<RunId>
  readonly runUrl: Option.Option<string>
  readonly htmlUrl: Option.Option<string>
  /** GitHub's clock when it took the dispatch (its `Date` header), epoch ms. */
  readonly serverTime: number
}

export interface RunFilter {
  readonly repository: RepositoryName
  readonly workflow: string
  readonly branch?: string
  readonly event?: string
  /** Only runs of this login (GitHub's `actor` filter): a dispatch looks among its own runs only. */
  readonly actor?: string
  /** Only runs created at or after this instant (epoch ms), as GitHub's `created=>=…` filter. */
  readonly createdFrom?: number
  readonly perPage?: number
}

/** GitHub Actions, as far as dispatching and finding runs goes. */
export class WorkflowRunsGateway extends Context.Tag("run-index/WorkflowRunsGateway")<
  WorkflowRunsGateway,
  {
    /**
     * The login whose runs this gateway's dispatches create (its runs' `actor`): configured, or asked
     * of GitHub once (a user's login, or `<slug>[bot]` for a GitHub App). Cached after the first
     * success for the gateway's lifetime; a failure is not cached, so the next call asks again.
     */
    readonly identity: Effect.Effect<string, GatewayError>
    /**
     * Dispatches a workflow. Asks for the run id; on servers that cannot return it (204, or GHES
     * refusing the field) the result has no run id. Not idempotent: each call may create a run.
     */
    readonly dispatch: (request: DispatchRequest) => Effect.Effect<Dispatched, GatewayError>
    /** The workflow's runs matching the filter, newest first, every page, fetched lazily. */
    readonly listRuns: (filter: RunFilter) => Stream.Stream<WorkflowRun, GatewayError>
    /** One run; `None` when GitHub has no such run in the repository. */
    readonly getRun: (
      repository: RepositoryName,
      runId: RunId,
    ) => Effect.Effect<Option.Option<WorkflowRun>, GatewayError>
  }
>() {}
