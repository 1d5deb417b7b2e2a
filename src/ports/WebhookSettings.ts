import { Context } from "effect"
import { defaultToleranceMillis } from "../domain/CandidateSelection.js"
import { defaultWorkflowFiles, type WorkflowFileMap } from "../domain/Classification.js"

/** How webhooks are classified and correlated; the defaults suit the platform's workflow files. */
export class WebhookSettings extends Context.Reference<WebhookSettings>()("run-index/WebhookSettings", {
  defaultValue: (): {
    readonly workflowFiles: WorkflowFileMap
    readonly toleranceMillis: number
    /**
     * How many of the most recently modified request documents a destroy fallback scans: the seed's
     * list-based lookup, for deployments migrating from before the index. Off (0) by default.
     */
    readonly destroyScanLimit: number
    /** How many words of a run's title or name are tried as request ids. */
    readonly titleWordLimit: number
  } => ({
    workflowFiles: defaultWorkflowFiles,
    toleranceMillis: defaultToleranceMillis,
    destroyScanLimit: 0,
    titleWordLimit: 8,
  }),
}) {}
