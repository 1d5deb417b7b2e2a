/**
 * A simulated run and its workflow as the simulator keeps them, and the two shapes GitHub shows a
 * run in: the gateway's `WorkflowRun` and the `workflow_run` webhook event.
 */
import type { RunId } from "../../../domain/RunId.js"
import type { RepositoryName, WorkflowRun } from "../../../domain/WorkflowRun.js"
import type { RunConclusion, RunStatus, WorkflowDefinition, WorkflowRunEvent } from "./SimulatorOptions.js"

export interface Workflow {
  readonly id: number
  readonly repository: RepositoryName
  readonly file: string
  readonly path: string
  definition: WorkflowDefinition
  declaredInputs: ReadonlySet<string> | undefined
  createdRuns: number
  /** Its runs by (createdAt, id) ascending: listing walks it backwards. */
  readonly runs: Array<SimulatedRun>
  /** How many runs were inserted before the end of `runs` (noise created in the past). */
  reorders: number
}

export interface SimulatedRun {
  readonly id: RunId
  readonly workflow: Workflow
  readonly name: string
  readonly runNumber: number
  readonly displayTitle: string
  readonly event: string
  readonly headBranch: string
  readonly headSha: string
  readonly actor: string
  readonly createdAt: number
  status: RunStatus
  conclusion: RunConclusion | null
  runAttempt: number
  updatedAt: number
  /** The immutable view handed out, until the run changes again. */
  snapshot: WorkflowRun | undefined
}

export interface RunCreation {
  readonly workflow: Workflow
  readonly event: string
  readonly headBranch: string
  readonly actor: string
  readonly displayTitle: string
  readonly createdAt?: number
}

/** GitHub's timestamps and `Date` header have whole-second resolution. */
export const wholeSeconds = (millis: number) => Math.floor(millis / 1000) * 1000
const isoSeconds = (millis: number) => new Date(wholeSeconds(millis)).toISOString().replace(/\.\d{3}Z$/, "Z")

const runsInOrder = (left: SimulatedRun, right: SimulatedRun) =>
  left.createdAt - right.createdAt || left.id - right.id

/** Adds a run to its workflow's runs, kept in creation order (a run created in the past counts as a reorder). */
export const insertInOrder = (workflow: Workflow, run: SimulatedRun) => {
  const runs = workflow.runs
  const last = runs[runs.length - 1]
  if (last === undefined || runsInOrder(last, run) <= 0) {
    runs.push(run)
    return
  }
  workflow.reorders += 1
  let low = 0
  let high = runs.length
  while (low < high) {
    const middle = (low + high) >> 1
    if (runsInOrder(runs[middle]!, run) <= 0) low = middle + 1
    else high = middle
  }
  runs.splice(low, 0, run)
}

export const htmlUrlOf = (serverUrl: string, run: SimulatedRun) =>
  `${serverUrl}/${run.workflow.repository}/actions/runs/${run.id}`

/** The run as the gateway returns it; one view per state of the run, made when first asked for. */
export const snapshotOf = (serverUrl: string, run: SimulatedRun): WorkflowRun =>
  (run.snapshot ??= {
    id: run.id,
    repository: run.workflow.repository,
    name: run.name,
    displayTitle: run.displayTitle,
    path: run.workflow.path,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    headBranch: run.headBranch,
    headSha: run.headSha,
    runAttempt: run.runAttempt,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    htmlUrl: htmlUrlOf(serverUrl, run),
    actor: run.actor,
    // The simulator has one actor per run: its re-runs are the dispatcher's, as are noise runs'.
    triggeringActor: run.actor,
  })

/** The `workflow_run` webhook event GitHub sends for the run's transition `action`. */
export const eventOf = (
  serverUrl: string,
  action: WorkflowRunEvent["action"],
  run: SimulatedRun,
): WorkflowRunEvent => ({
  action,
  workflow_run: {
    id: run.id,
    name: run.name,
    display_title: run.displayTitle,
    path: run.workflow.path,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    head_branch: run.headBranch,
    head_sha: run.headSha,
    run_attempt: run.runAttempt,
    run_number: run.runNumber,
    workflow_id: run.workflow.id,
    created_at: isoSeconds(run.createdAt),
    updated_at: isoSeconds(run.updatedAt),
    html_url: htmlUrlOf(serverUrl, run),
    actor: { login: run.actor },
  },
  repository: { full_name: run.workflow.repository },
})
