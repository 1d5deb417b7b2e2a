import { mkdtemp, rm, symlink } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Stream } from "effect"
import * as ObjectRunIndexStore from "../../src/adapters/ObjectRunIndexStore.js"
import * as DirectoryObjectStore from "../../src/adapters/objects/DirectoryObjectStore.js"
import { RunIndexStore } from "../../src/ports/RunIndexStore.js"
import { entry } from "../support/fixtures.js"

const temporaryRoot = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "run-index-listing-"))),
  (root) => Effect.promise(() => rm(root, { recursive: true, force: true })),
)

describe("directory store listing", () => {
  it.effect(
    "a symlink loop, a dangling link and a link to a directory above leave the other entries listed",
    () =>
      Effect.gen(function* () {
        const root = yield* temporaryRoot
        yield* Effect.gen(function* () {
          const store = yield* RunIndexStore
          yield* store.put(entry("plan", 1, "req_a"))
          yield* store.put(entry("plan", 3, "req_c"))
          const folder = join(root, "webhooks/github/run-index/plan")
          yield* Effect.promise(async () => {
            await symlink("run-2.json", join(folder, "run-2.json"))
            await symlink("nowhere.json", join(folder, "run-4.json"))
            await symlink("..", join(folder, "up"))
          })
          const listed = Chunk.toReadonlyArray(yield* Stream.runCollect(store.list({ kind: "plan" })))
          // The dangling link and the loop are left out; the link to a directory is not followed.
          assert.deepStrictEqual(
            listed.map((each) => `${each._tag} ${each.path}`),
            [
              "Valid webhooks/github/run-index/plan/run-1.json",
              "Valid webhooks/github/run-index/plan/run-3.json",
            ],
          )
        }).pipe(
          Effect.provide(
            ObjectRunIndexStore.layer.pipe(
              Layer.provideMerge(DirectoryObjectStore.layer(root)),
              Layer.provide(NodeContext.layer),
            ),
          ),
        )
      }).pipe(Effect.scoped),
  )
})
