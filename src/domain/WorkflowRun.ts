import { Schema } from "effect"
import { RunId } from "./RunId.js"

/** A repository as GitHub names it: `owner/repo`. */
export const RepositoryName = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { message: () => "must be owner/repo" }),
  Schema.brand("RepositoryName"),
).annotations({ identifier: "RepositoryName" })
export type RepositoryName = typeof RepositoryName.Type

export const splitRepository = (name: RepositoryName): { readonly owner: string; readonly repo: string } => {
  const [owner = "", repo = ""] = name.split("/")
  return { owner, repo }
}

/**
 * A GitHub login as it appears on a run's `actor`: a user (`octocat`, `octocat_acme` for a managed
 * user) or an App's bot account (`<slug>[bot]`).
 */
export const GitHubLogin = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}(\[bot\])?$/, {
    message: () => "must be a GitHub login such as octocat or my-app[bot]",
  }),
).annotations({ identifier: "GitHubLogin" })

/** The fields of a GitHub workflow run this project uses; times are epoch milliseconds. */
export interface WorkflowRun {
  readonly id: RunId
  readonly repository: RepositoryName
  /** The workflow's name. */
  readonly name: string
  /** The run's title, rendered from the workflow's `run-name` (GitHub's `display_title`). */
  readonly displayTitle: string
  /** The workflow file, e.g. `.github/workflows/apply.yml`. */
  readonly path: string
  readonly event: string
  readonly status: string
  readonly conclusion: string | null
  readonly headBranch: string | null
  readonly headSha: string
  readonly runAttempt: number
  readonly createdAt: number
  readonly updatedAt: number
  readonly htmlUrl: string
  /** Whose run it is: who dispatched it, or the user a re-run keeps. */
  readonly actor: string | null
  /** Who started this attempt: the dispatcher, or whoever re-ran it (GitHub's `triggering_actor`). */
  readonly triggeringActor: string | null
}

const Login = Schema.Struct({ login: Schema.String })

/**
 * A workflow run as GitHub sends it, in its REST answers and in the `workflow_run` webhook alike: the
 * fields this project reads, anything else ignored. The one decoder of a run at every edge (the
 * webhook, the Octokit gateway) and the shape the simulator publishes.
 */
export const GitHubRun = Schema.Struct({
  id: RunId,
  name: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => "" }),
  display_title: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => "" }),
  path: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => "" }),
  event: Schema.optionalWith(Schema.String, { default: () => "" }),
  status: Schema.String,
  conclusion: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  head_branch: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  head_sha: Schema.String,
  run_attempt: Schema.optionalWith(Schema.Number.pipe(Schema.int(), Schema.positive()), { default: () => 1 }),
  created_at: Schema.Date,
  updated_at: Schema.Date,
  html_url: Schema.String,
  actor: Schema.optionalWith(Schema.NullOr(Login), { default: () => null }),
  triggering_actor: Schema.optionalWith(Schema.NullOr(Login), { default: () => null }),
}).annotations({ identifier: "GitHubRun" })
export type GitHubRun = typeof GitHubRun.Type

/** The domain's run from GitHub's, given the repository it belongs to. */
export const workflowRunOf = (run: GitHubRun, repository: RepositoryName): WorkflowRun => ({
  id: run.id,
  repository,
  name: run.name ?? "",
  displayTitle: run.display_title ?? "",
  path: run.path ?? "",
  event: run.event,
  status: run.status,
  conclusion: run.conclusion,
  headBranch: run.head_branch,
  headSha: run.head_sha,
  runAttempt: run.run_attempt,
  createdAt: run.created_at.getTime(),
  updatedAt: run.updated_at.getTime(),
  htmlUrl: run.html_url,
  actor: run.actor?.login ?? null,
  triggeringActor: run.triggering_actor?.login ?? null,
})
