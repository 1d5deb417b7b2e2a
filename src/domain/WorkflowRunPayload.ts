import { Schema } from "effect"
import { GitHubRun } from "./WorkflowRun.js"

/** GitHub's delivery id (`X-GitHub-Delivery`): a GUID; kept to characters safe in a key. */
export const DeliveryId = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9-]{0,99}$/, {
    message: () => "must be a GitHub delivery id (letters, digits, dashes)",
  }),
  Schema.brand("DeliveryId"),
).annotations({ identifier: "DeliveryId" })
export type DeliveryId = typeof DeliveryId.Type

/** The fields of a `workflow_run` webhook this project reads; anything else in the payload is ignored. */
export const WorkflowRunPayload = Schema.Struct({
  action: Schema.String,
  workflow_run: GitHubRun,
  repository: Schema.Struct({ full_name: Schema.String }),
})
export type WorkflowRunPayload = typeof WorkflowRunPayload.Type
