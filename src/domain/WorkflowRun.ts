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
  readonly actor: string | null
}
