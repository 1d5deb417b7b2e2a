import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import * as DirectoryObjectStore from "../../src/adapters/objects/DirectoryObjectStore.js"

/** A directory object store in a fresh temp directory, removed when the layer is released. */
export const temporaryDirectoryLayer = () =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const root = yield* fs.makeTempDirectoryScoped({ prefix: "run-index-test-" })
      return DirectoryObjectStore.layer(root)
    }),
  ).pipe(Layer.provide(NodeContext.layer))
