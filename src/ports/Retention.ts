import { Context } from "effect"
import { defaultRetentionDays, type RetentionDays } from "../domain/Retention.js"

/** How long new index entries are kept; 90 days unless the edge provides another value. */
export class Retention extends Context.Reference<Retention>()("run-index/Retention", {
  defaultValue: (): { readonly days: RetentionDays } => ({ days: defaultRetentionDays }),
}) {}
