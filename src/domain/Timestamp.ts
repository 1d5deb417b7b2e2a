import { Schema } from "effect"

/**
 * An instant written as `Date.prototype.toISOString` writes it (`2025-01-15T10:00:00.000Z`).
 * Kept as the string itself so that stored entries re-encode byte for byte.
 */
export const Timestamp = Schema.String.pipe(
  Schema.pattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/, {
    message: () => "must be an ISO-8601 UTC time such as 2025-01-15T10:00:00.000Z",
  }),
  Schema.filter((text) => !Number.isNaN(Date.parse(text)) || "must be a real date and time"),
).annotations({ identifier: "Timestamp" })
export type Timestamp = typeof Timestamp.Type

export const timestampFromMillis = (millis: number): Timestamp => new Date(millis).toISOString()

/**
 * An instant an operator types: an ISO-8601 date (midnight UTC) or a date and time with its zone
 * (`2025-01-01`, `2025-01-01T12:00:00Z`, `2025-01-01T12:00:00+02:00`), as epoch milliseconds. A
 * time without a zone is refused rather than read in the machine's local zone.
 */
export const InstantFromIso = Schema.transform(
  Schema.String.pipe(
    Schema.pattern(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/, {
      message: () => "must be an ISO-8601 date, or date and time with a zone, such as 2025-01-15T10:00:00Z",
    }),
    Schema.filter((text) => !Number.isNaN(Date.parse(text)) || "must be a real date and time"),
  ),
  Schema.Number,
  { strict: true, decode: (text) => Date.parse(text), encode: (millis) => new Date(millis).toISOString() },
).annotations({ identifier: "InstantFromIso" })
