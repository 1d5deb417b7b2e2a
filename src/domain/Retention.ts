import { Schema } from "effect"

/** How many days an index entry is kept: `expiresAt` = `createdAt` + this. */
export const RetentionDays = Schema.Number.pipe(Schema.int(), Schema.between(1, 36_500)).annotations({
  identifier: "RetentionDays",
  description: "a whole number of days between 1 and 36500",
})
export type RetentionDays = typeof RetentionDays.Type

export const defaultRetentionDays: RetentionDays = 90

const millisPerDay = 86_400_000

export const expiryMillis = (createdAtMillis: number, days: RetentionDays): number =>
  createdAtMillis + days * millisPerDay
