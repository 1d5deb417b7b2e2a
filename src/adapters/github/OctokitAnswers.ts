import { Schema } from "effect"
import { RunId } from "../../domain/RunId.js"
import {
  GitHubLogin,
  GitHubRun,
  RepositoryName as RepositoryNameSchema,
  type WorkflowRun,
  workflowRunOf,
} from "../../domain/WorkflowRun.js"

// GitHub's REST answers, decoded at the edge: only the fields run-index uses.

/** The answer GitHub gives a dispatch with `return_run_details: true`. */
const RunDetails = Schema.Struct({
  workflow_run_id: RunId,
  run_url: Schema.String,
  html_url: Schema.String,
})
export const decodeRunDetails = Schema.decodeUnknownEither(RunDetails)

/** A run as the REST API lists it: GitHub's run, with the repository it belongs to. */
const ListedRun = Schema.extend(
  GitHubRun,
  Schema.Struct({ repository: Schema.Struct({ full_name: RepositoryNameSchema }) }),
)
type ListedRun = typeof ListedRun.Type

export const toWorkflowRun = (run: ListedRun): WorkflowRun => workflowRunOf(run, run.repository.full_name)

export const decodeRun = Schema.decodeUnknown(ListedRun)
export const decodeRunsPage = Schema.decodeUnknown(Schema.Struct({ workflow_runs: Schema.Array(ListedRun) }))

/** How the client authenticates, as Octokit's auth strategy reports it (`auth()` without a request). */
const Authentication = Schema.Struct({ type: Schema.String, tokenType: Schema.optional(Schema.String) })
export const decodeAuthentication = Schema.decodeUnknown(Authentication)

/** `GET /user`: the user a token belongs to. */
export const decodeUser = Schema.decodeUnknown(Schema.Struct({ login: GitHubLogin }))

/** `GET /app`: the App a JWT belongs to; its runs' actor is its bot account, `<slug>[bot]`. */
export const decodeApp = Schema.decodeUnknown(
  Schema.Struct({
    slug: Schema.String.pipe(
      Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, { message: () => "must be a GitHub App slug" }),
    ),
  }),
)
