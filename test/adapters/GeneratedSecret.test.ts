import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import * as GeneratedSecret from "../../src/adapters/GeneratedSecret.js"

const temporaryDirectory = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "run-index-secrets-"))),
  (directory) => Effect.promise(() => rm(directory, { recursive: true, force: true })),
)

describe("generated secrets are created once, whoever starts first", () => {
  it.live("20 concurrent starts on an empty directory, 10 times: one secret, the one in the file", () =>
    Effect.gen(function* () {
      for (let trial = 0; trial < 10; trial++) {
        const directory = yield* temporaryDirectory
        const starts = yield* Effect.all(
          Array.from({ length: 20 }, () => GeneratedSecret.loadOrGenerate(directory, "api-token")),
          { concurrency: "unbounded" },
        )
        const inFile = (yield* Effect.promise(() => readFile(join(directory, "api-token"), "utf8"))).trim()
        assert.deepStrictEqual(
          [...new Set(starts.map((start) => Redacted.value(start.secret)))],
          [inFile],
          `trial ${trial}`,
        )
        assert.strictEqual(starts.filter((start) => start.generated).length, 1)
        assert.strictEqual(
          (yield* Effect.promise(() => stat(join(directory, "api-token")))).mode & 0o777,
          0o600,
        )
      }
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)),
  )

  it.live("an empty secret file is an error naming the file, never silently replaced", () =>
    Effect.gen(function* () {
      const directory = yield* temporaryDirectory
      yield* Effect.promise(() => writeFile(join(directory, "api-token"), ""))
      const error = yield* Effect.flip(GeneratedSecret.loadOrGenerate(directory, "api-token"))
      assert.strictEqual(error._tag, "EmptySecretFile")
      assert.include(error.message, join(directory, "api-token"))
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)),
  )
})
