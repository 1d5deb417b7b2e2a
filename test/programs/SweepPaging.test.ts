import { join } from "node:path"
import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { Effect, Layer, TestClock } from "effect"
import * as DirectoryObjectStore from "../../src/adapters/objects/DirectoryObjectStore.js"
import * as MemoryObjectStore from "../../src/adapters/objects/MemoryObjectStore.js"
import { ObjectStore, WriteCondition } from "../../src/adapters/objects/ObjectStore.js"
import { AgedPlanter, sweepPagingSuite } from "./SweepPagingSuite.js"

const day = 86_400_000

const putAll = (objects: ObjectStore["Type"], planted: ReadonlyArray<readonly [string, string]>) =>
  Effect.forEach(planted, ([path, body]) => objects.put(path, body, WriteCondition.Always()), {
    discard: true,
  })

sweepPagingSuite("memory", {
  makeLayer: (paging) =>
    Layer.merge(
      MemoryObjectStore.layerMemoryWith(paging),
      Layer.succeed(AgedPlanter, {
        // The memory store stamps writes with Effect's Clock: TestClock sets their age.
        plant: (aged, fresh) =>
          Effect.gen(function* () {
            const objects = yield* ObjectStore
            const start = Date.parse("2025-01-01T00:00:00.000Z")
            yield* TestClock.setTime(start)
            yield* putAll(objects, aged)
            yield* TestClock.setTime(start + 30 * day)
            yield* putAll(objects, fresh)
            yield* TestClock.setTime(start + 100 * day)
            return start + 100 * day
          }),
      }),
    ),
  honoursDeleteVersion: true,
})

sweepPagingSuite("directory", {
  makeLayer: (paging) =>
    Layer.unwrapScoped(
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const root = yield* fs.makeTempDirectoryScoped({ prefix: "run-index-sweep-" })
        const planter = AgedPlanter.of({
          // The directory store's LastModified is the file's mtime: set back 100 days for the aged ones.
          plant: (aged, fresh) =>
            Effect.gen(function* () {
              const objects = yield* ObjectStore
              yield* putAll(objects, [...aged, ...fresh])
              const now = Date.now()
              yield* Effect.forEach(
                aged,
                ([path]) =>
                  fs.utimes(
                    join(root, ...path.split("/")),
                    new Date(now - 100 * day),
                    new Date(now - 100 * day),
                  ),
                { discard: true },
              ).pipe(Effect.orDie)
              return now
            }).pipe(Effect.provideService(FileSystem.FileSystem, fs)),
        })
        return Layer.merge(DirectoryObjectStore.layer(root, paging), Layer.succeed(AgedPlanter, planter))
      }),
    ).pipe(Layer.provide(NodeContext.layer)),
  honoursDeleteVersion: true,
})
