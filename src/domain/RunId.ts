import { Schema } from "effect"

/** A GitHub Actions run id: a positive safe integer. */
export const RunId = Schema.Number.pipe(
  Schema.int(),
  Schema.positive(),
  Schema.lessThanOrEqualTo(Number.MAX_SAFE_INTEGER),
  Schema.brand("RunId"),
).annotations({ identifier: "RunId", description: "a positive integer" })
export type RunId = typeof RunId.Type

/** A run id written in decimal, as in keys, URLs and CLI arguments: no sign, no leading zeros. */
export const RunIdFromString = Schema.compose(
  Schema.String.pipe(
    Schema.pattern(/^[1-9][0-9]{0,15}$/, { message: () => "must be a positive integer in decimal" }),
  ),
  Schema.compose(Schema.NumberFromString, RunId),
).annotations({ identifier: "RunIdFromString" })
