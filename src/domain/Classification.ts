import { Option } from "effect"
import type { WorkflowKind } from "./WorkflowKind.js"

/** Workflow file name → kind. Extend or replace it per deployment. */
export type WorkflowFileMap = Readonly<Record<string, WorkflowKind>>

export const defaultWorkflowFiles: WorkflowFileMap = Object.fromEntries(
  (["plan", "apply", "destroy", "cleanup", "drift_plan"] as const).flatMap((kind) => [
    [`${kind}.yml`, kind],
    [`${kind}.yaml`, kind],
  ]),
)

const fileName = (path: string) => path.slice(path.lastIndexOf("/") + 1)

/** By workflow name, case-insensitive: drift and plan together first, then the single words. */
const byName = (name: string): Option.Option<WorkflowKind> => {
  const lower = name.toLowerCase()
  if (lower.includes("drift") && lower.includes("plan")) return Option.some("drift_plan")
  for (const kind of ["apply", "destroy", "cleanup", "plan"] as const) {
    if (lower.includes(kind)) return Option.some(kind)
  }
  return Option.none()
}

/**
 * Which kind a run belongs to: by its workflow file (`workflow_run.path`) through the map, else by
 * the workflow's name. The run's title is never consulted, so it cannot override a file match.
 */
export const classifyRun = (
  run: { readonly path: string; readonly name: string },
  files: WorkflowFileMap = defaultWorkflowFiles,
): Option.Option<WorkflowKind> => {
  const byFile = files[fileName(run.path)]
  return byFile === undefined ? byName(run.name) : Option.some(byFile)
}
