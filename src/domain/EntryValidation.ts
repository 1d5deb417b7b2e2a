import { Data, Either, ParseResult, Schema } from "effect"
import { RequestId } from "./RequestId.js"
import { RunId } from "./RunId.js"
import { RunIndexEntry } from "./RunIndexEntry.js"
import type { RunIndexKey } from "./RunIndexKey.js"

/** Each way a stored body can fail to be the entry its key names. */
export const InvalidReason = Schema.Literal(
  "NotJson",
  "WrongShape",
  "RunIdNotNumber",
  "InvalidRequestId",
  "KindMismatch",
  "RunIdMismatch",
  "UnrecognisedKey",
)
export type InvalidReason = typeof InvalidReason.Type

/** A stored body that must never be taken as a mapping; `detail` says what was wrong. */
export class InvalidEntry extends Data.TaggedClass("InvalidEntry")<{
  readonly reason: InvalidReason
  readonly detail: string
}> {}

const parseJson = Schema.decodeUnknownEither(Schema.parseJson())
const decodeObject = Schema.decodeUnknownEither(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
const isRunId = Schema.is(RunId)
const isRequestId = Schema.is(RequestId)
const decodeEntry = Schema.decodeUnknownEither(RunIndexEntry)

const invalid = (reason: InvalidReason, detail: string) => Either.left(new InvalidEntry({ reason, detail }))

/** One pass over a well-formed body: the common case, several times cheaper than the checks below. */
const RunIndexEntryFields = Schema.Struct(RunIndexEntry.fields)
const decodeFields = Schema.decodeUnknownEither(RunIndexEntryFields)
const decodeWellFormed = (body: string): Either.Either<typeof RunIndexEntryFields.Type, unknown> => {
  try {
    return decodeFields(JSON.parse(body))
  } catch (error) {
    return Either.left(error)
  }
}

/**
 * Decodes a stored body and checks it against the key it was stored under.
 * Checks run from the coarsest to the finest so the reason names the first real problem.
 */
export const validateEntry = (key: RunIndexKey, body: string): Either.Either<RunIndexEntry, InvalidEntry> => {
  const wellFormed = decodeWellFormed(body)
  if (
    Either.isRight(wellFormed) &&
    wellFormed.right.kind === key.kind &&
    wellFormed.right.runId === key.runId
  ) {
    // Already validated field by field: skip the class's second validation.
    return Either.right(new RunIndexEntry(wellFormed.right, true))
  }
  const json = parseJson(body)
  if (Either.isLeft(json)) return invalid("NotJson", "the body is not JSON")
  const object = decodeObject(json.right)
  if (Either.isLeft(object) || Array.isArray(json.right)) {
    return invalid("WrongShape", "the body is not a JSON object")
  }
  const fields = object.right
  if (fields.runId !== undefined && typeof fields.runId !== "number") {
    return invalid("RunIdNotNumber", `runId is ${JSON.stringify(fields.runId)}, not a number`)
  }
  if (fields.requestId !== undefined && !isRequestId(fields.requestId)) {
    return invalid(
      "InvalidRequestId",
      `requestId ${JSON.stringify(fields.requestId)} is not a valid request id`,
    )
  }
  if (fields.runId !== undefined && !isRunId(fields.runId)) {
    return invalid("WrongShape", `runId ${fields.runId} is not a positive integer`)
  }
  const entry = decodeEntry(fields)
  if (Either.isLeft(entry)) return invalid("WrongShape", describeParseError(entry.left))
  if (entry.right.kind !== key.kind) {
    return invalid("KindMismatch", `kind is ${entry.right.kind} but the key is under ${key.kind}`)
  }
  if (entry.right.runId !== key.runId) {
    return invalid("RunIdMismatch", `runId is ${entry.right.runId} but the key names ${key.runId}`)
  }
  return Either.right(entry.right)
}

const expectation = /^Expected ([\s\S]*), actual ([\s\S]*)$/

/** Longer than this, Schema's rendering of a type is replaced by what kind of value was expected. */
const longestType = 80

/** `{ readonly a: …; … }` → "an object", `ReadonlyArray<…>` → "an array"; short types stay as they are. */
const shortType = (type: string): string => {
  if (type.length <= longestType) return type
  if (type.startsWith("{")) return "an object of the documented shape"
  if (type.startsWith("ReadonlyArray<") || type.startsWith("Array<"))
    return "an array of the documented shape"
  return `${type.slice(0, longestType)}…`
}

const shortValue = (value: string): string =>
  value.length <= longestType ? value : `${value.slice(0, longestType)}…`

/**
 * The first problem Schema found, as `field: message`, on one short line. When the value matches
 * none of several choices (a union of literals), all of them are named: `expected one of "plan",
 * "apply", …; actual "bogus"`. Schema's rendering of a large expected type (kilobytes for a request
 * document) is replaced by the kind of value expected.
 */
export const describeParseError = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const [first] = issues
  if (first === undefined) return error.message
  const where = first.path.length === 0 ? "" : `${first.path.join(".")}: `
  const atSamePath = issues.filter((issue) => issue.path.join(".") === first.path.join("."))
  const expected = atSamePath.map((issue) => expectation.exec(issue.message))
  const [firstExpected] = expected
  if (firstExpected === null || firstExpected === undefined) return `${where}${first.message}`
  const actual = shortValue(firstExpected[2] ?? "")
  // An optional field's `undefined` is no choice a person makes: it means "leave it out".
  const choices = expected.every((match) => match !== null)
    ? [...new Set(expected.map((match) => shortType(match?.[1] ?? "")))].filter(
        (choice, _, all) => choice !== "undefined" || all.length === 1,
      )
    : [shortType(firstExpected[1] ?? "")]
  return choices.length > 1
    ? `${where}expected one of ${choices.join(", ")}; actual ${actual}`
    : `${where}Expected ${choices[0]}, actual ${actual}`
}
