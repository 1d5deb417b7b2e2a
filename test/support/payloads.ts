/** A `workflow_run` webhook payload as GitHub sends it, for a run of `kind`'s workflow in acme/infra. */
export const workflowRunPayload = (options: {
  readonly id: number
  readonly kind: "plan" | "apply" | "destroy" | "cleanup" | "drift_plan"
  readonly status: "queued" | "in_progress" | "completed"
  readonly title?: string
}) => {
  const name = options.kind.charAt(0).toUpperCase() + options.kind.slice(1)
  return {
    action: options.status,
    workflow_run: {
      id: options.id,
      name,
      display_title: options.title ?? name,
      path: `.github/workflows/${options.kind}.yml`,
      event: "workflow_dispatch",
      status: options.status,
      conclusion: options.status === "completed" ? "success" : null,
      head_branch: "main",
      head_sha: "0123456789abcdef0123456789abcdef01234567",
      run_attempt: 1,
      created_at: "2026-01-01T00:00:01Z",
      updated_at: "2026-01-01T00:05:00Z",
      html_url: `https://github.com/acme/infra/actions/runs/${options.id}`,
    },
    repository: { full_name: "acme/infra" },
    sender: { login: "octocat" },
  }
}

/** A request document whose one attempt of `kind` is queued and holds `runId`, dispatched to acme/infra. */
export const requestDocumentWithRun = (
  kind: "plan" | "apply" | "destroy" | "cleanup" | "drift_plan",
  runId: number,
) => ({
  version: 1,
  runs: {
    [kind]: {
      currentAttempt: 1,
      attempts: [
        {
          attempt: 1,
          status: "queued",
          dispatchedAt: "2026-01-01T00:00:00.000Z",
          runId,
          repository: "acme/infra",
        },
      ],
    },
  },
})
