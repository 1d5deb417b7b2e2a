import { Context } from "effect"
import { defaultWorkflowFiles, type WorkflowFileMap } from "../domain/Classification.js"

/** How webhooks are classified and correlated; the defaults suit the platform's workflow files. */
export class WebhookSettings extends Context.Reference<WebhookSettings>()("run-index/WebhookSettings", {
  defaultValue: (): {
    readonly workflowFiles: WorkflowFileMap
    /**
     * How much later than a run's `created_at` an attempt's `dispatchedAt` may be and still take it.
     * That is our clock against GitHub's, so it leaves room for skew between the hosts, unlike the
     * list-and-match tolerance, which compares two of GitHub's times.
     */
    readonly toleranceMillis: number
    /**
     * How many of the most recently modified request documents a destroy fallback scans: the seed's
     * list-based lookup, for deployments migrating from before the index. Off (0) by default.
     */
    readonly destroyScanLimit: number
    /** How many words of a run's title or name are tried as request ids. */
    readonly titleWordLimit: number
    /**
     * One deadline for processing a delivery, every retry inside it included (store retries,
     * compare-and-set races): past it the delivery is parked for replay, as for a store outage. The
     * HTTP route sets it a second under its answer deadline, so the park is answered in time.
     */
    readonly processingBudgetMillis: number
    /**
     * How long parking a delivery waits for the store before keeping it in the local spool instead.
     * The HTTP route sets it to half of what its deadline leaves after the processing budget.
     */
    readonly parkWaitMillis: number
  } => ({
    workflowFiles: defaultWorkflowFiles,
    toleranceMillis: 5_000,
    destroyScanLimit: 0,
    titleWordLimit: 8,
    processingBudgetMillis: 8_000,
    parkWaitMillis: 500,
  }),
}) {}
