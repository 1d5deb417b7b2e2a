import { randomBytes } from "node:crypto"
import { FileSystem, Path } from "@effect/platform"
import { Effect, Option, Redacted } from "effect"

/** A secret kept at `<directory>/<name>` by an earlier start, if there is one (an empty file counts as none). */
export const load = Effect.fn("GeneratedSecret.load")(function* (directory: string, name: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const file = path.resolve(directory, name)
  if (!(yield* fs.exists(file))) return { file, secret: Option.none<Redacted.Redacted<string>>() }
  const existing = (yield* fs.readFileString(file)).trim()
  return {
    file,
    secret:
      existing.length > 0 ? Option.some(Redacted.make(existing)) : Option.none<Redacted.Redacted<string>>(),
  }
})

/**
 * A secret for the embedded default: read from `<directory>/<name>` if a previous start wrote it,
 * else generated (32 random bytes, hex) and written there with mode 0600. The value never reaches a log.
 */
export const loadOrGenerate = Effect.fn("GeneratedSecret.loadOrGenerate")(function* (
  directory: string,
  name: string,
) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const { file, secret: existing } = yield* load(directory, name)
  if (Option.isSome(existing)) return { secret: existing.value, file, generated: false }
  yield* fs.makeDirectory(path.dirname(file), { recursive: true })
  const secret = randomBytes(32).toString("hex")
  yield* fs.writeFileString(file, `${secret}\n`, { mode: 0o600 })
  yield* fs.chmod(file, 0o600)
  return { secret: Redacted.make(secret), file, generated: true }
})
