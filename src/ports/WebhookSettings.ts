import { Context, Duration } from "effect"
import { defaultWorkflowFiles, type WorkflowFileMap } from "../domain/Classification.js"

/** GitHub gives up on a delivery after 10 s: the answer is due a second before (`RUN_INDEX_WEBHOOK_DEADLINE`). */
export const defaultDeliveryDeadline = Duration.seconds(9)

/**
 * The processing budget within a delivery's answer deadline: retries end a second before the answer
 * is due (at half of it when it is shorter than 2 s), leaving that second to park the delivery.
 */
export const processingBudgetWithin = (deadline: Duration.Duration): number =>
  Math.max(Duration.toMillis(deadline) - 1_000, Duration.toMillis(deadline) / 2)

/**
 * How long parking waits for the store within a delivery's answer deadline: half of what the
 * processing budget leaves, the other half for the local spool.
 */
export const parkWaitWithin = (deadline: Duration.Duration): number =>
  (Duration.toMillis(deadline) - processingBudgetWithin(deadline)) / 2

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
     * edge derives it from its answer deadline (`processingBudgetWithin`), so the park is answered in time.
     */
    readonly processingBudgetMillis: number
    /**
     * How long parking a delivery waits for the store before keeping it in the local spool instead.
     * The edge derives it from its answer deadline too (`parkWaitWithin`).
     */
    readonly parkWaitMillis: number
  } => ({
    workflowFiles: defaultWorkflowFiles,
    toleranceMillis: 5_000,
    destroyScanLimit: 0,
    titleWordLimit: 8,
    processingBudgetMillis: processingBudgetWithin(defaultDeliveryDeadline),
    parkWaitMillis: parkWaitWithin(defaultDeliveryDeadline),
  }),
}) {}
