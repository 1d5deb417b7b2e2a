import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import * as DirectoryObjectStore from "../../src/adapters/objects/DirectoryObjectStore.js"
import type { Paging } from "../../src/adapters/objects/ObjectStore.js"

/** A directory object store in a fresh temp directory, removed when the layer is released. */
export const temporaryDirectoryLayer = (paging: Paging = {}) =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const root = yield* fs.makeTempDirectoryScoped({ prefix: "run-index-test-" })
      return DirectoryObjectStore.layer(root, paging)
    }),
  ).pipe(Layer.provide(NodeContext.layer))
