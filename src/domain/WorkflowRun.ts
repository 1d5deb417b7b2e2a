import { Schema } from "effect"
import type { RunId } from "./RunId.js"

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
