import { Schema } from "effect"

/** The Terraform workflows whose runs the index maps; each is a folder under the index prefix. */
export const WorkflowKind = Schema.Literal("plan", "apply", "destroy", "cleanup", "drift_plan").annotations({
  identifier: "WorkflowKind",
  description: "one of plan, apply, destroy, cleanup, drift_plan",
})
export type WorkflowKind = typeof WorkflowKind.Type

export const workflowKinds: ReadonlyArray<WorkflowKind> = WorkflowKind.literals
