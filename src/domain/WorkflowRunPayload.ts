import { Schema } from "effect"
import { RunId } from "./RunId.js"

/** GitHub's delivery id (`X-GitHub-Delivery`): a GUID; kept to characters safe in a key. */
export const DeliveryId = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9-]{0,99}$/, {
    message: () => "must be a GitHub delivery id (letters, digits, dashes)",
  }),
  Schema.brand("DeliveryId"),
).annotations({ identifier: "DeliveryId" })
export type DeliveryId = typeof DeliveryId.Type

const Instant = Schema.String.pipe(
  Schema.filter((text) => !Number.isNaN(Date.parse(text)) || "must be an ISO-8601 time"),
)

const Login = Schema.Struct({ login: Schema.String })

/** The fields of a `workflow_run` webhook this project reads; anything else in the payload is ignored. */
export const WorkflowRunPayload = Schema.Struct({
  action: Schema.String,
  workflow_run: Schema.Struct({
    id: RunId,
    name: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => "" }),
    display_title: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => "" }),
    path: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => "" }),
    event: Schema.optionalWith(Schema.String, { default: () => "" }),
    status: Schema.String,
    conclusion: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
    head_branch: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
    head_sha: Schema.String,
    run_attempt: Schema.optionalWith(Schema.Number.pipe(Schema.int(), Schema.positive()), {
      default: () => 1,
    }),
    created_at: Instant,
    updated_at: Instant,
    html_url: Schema.String,
    actor: Schema.optionalWith(Schema.NullOr(Login), { default: () => null }),
    triggering_actor: Schema.optionalWith(Schema.NullOr(Login), { default: () => null }),
  }),
  repository: Schema.Struct({ full_name: Schema.String }),
})
export type WorkflowRunPayload = typeof WorkflowRunPayload.Type
