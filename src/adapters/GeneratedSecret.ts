import { randomBytes } from "node:crypto"
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Data, Effect, Option, Redacted } from "effect"

/** A secret file that exists but holds nothing: left by a crash of an older version mid-write. */
export class EmptySecretFile extends Data.TaggedError("EmptySecretFile")<{ readonly file: string }> {
  override get message(): string {
    return `${this.file} is empty: remove it to have a new secret generated, or write the secret into it`
  }
}

const isReason = (error: PlatformError, reason: string) =>
  error._tag === "SystemError" && error.reason === reason

/** A secret kept at `<directory>/<name>` by an earlier start, if there is one (an empty file counts as none). */
export const load = Effect.fn("GeneratedSecret.load")(function* (directory: string, name: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const file = path.resolve(directory, name)
  const content = yield* fs.readFileString(file).pipe(
    Effect.map(Option.some),
    Effect.catchIf(
      (error) => isReason(error, "NotFound"),
      () => Effect.succeedNone,
    ),
  )
  const existing = Option.map(content, (text) => text.trim())
  return {
    file,
    exists: Option.isSome(existing),
    secret: Option.map(
      Option.filter(existing, (text) => text.length > 0),
      (text) => Redacted.make(text),
    ),
  }
})

/**
 * A secret for the embedded default: read from `<directory>/<name>` if a previous start wrote it,
 * else generated (32 random bytes, hex) and created there with mode 0600 — create-if-absent (a
 * complete temp file, then `link`), so of instances starting together on an empty directory one
 * creates it and the others read it back. The value never reaches a log.
 */
export const loadOrGenerate = Effect.fn("GeneratedSecret.loadOrGenerate")(function* (
  directory: string,
  name: string,
) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const found = yield* load(directory, name)
  if (Option.isSome(found.secret)) return { secret: found.secret.value, file: found.file, generated: false }
  if (found.exists) return yield* new EmptySecretFile({ file: found.file })
  yield* fs.makeDirectory(path.dirname(found.file), { recursive: true })
  const secret = randomBytes(32).toString("hex")
  const temp = path.join(path.dirname(found.file), `.${name}.${randomBytes(6).toString("hex")}.tmp`)
  const created = yield* Effect.gen(function* () {
    yield* fs.writeFileString(temp, `${secret}\n`, { mode: 0o600 })
    yield* fs.chmod(temp, 0o600)
    return yield* fs.link(temp, found.file).pipe(
      Effect.as(true),
      Effect.catchIf(
        (error) => isReason(error, "AlreadyExists"),
        () => Effect.succeed(false),
      ),
    )
  }).pipe(Effect.ensuring(fs.remove(temp, { force: true }).pipe(Effect.ignore)))
  if (created) return { secret: Redacted.make(secret), file: found.file, generated: true }
  // Another instance created it first: theirs is the secret.
  const theirs = yield* load(directory, name)
  return Option.isSome(theirs.secret)
    ? { secret: theirs.secret.value, file: theirs.file, generated: false }
    : yield* new EmptySecretFile({ file: theirs.file })
})
