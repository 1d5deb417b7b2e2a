import { Chunk, Effect, Layer, Stream } from "effect"
import { ObjectStore, WriteCondition } from "../../src/adapters/objects/ObjectStore.js"
import { S3ClientService } from "../../src/adapters/objects/S3Client.js"
import { runIndexPrefix } from "../../src/domain/RunIndexKey.js"
import { motoLayer } from "../support/s3.js"
import { countS3Calls } from "../support/s3Calls.js"
import { AgedPlanter, SdkCallCounter, sweepPagingSuite } from "./SweepPagingSuite.js"

const day = 86_400_000
const retentionMillis = 90 * day

const putAll = (objects: ObjectStore["Type"], planted: ReadonlyArray<readonly [string, string]>) =>
  Effect.forEach(planted, ([path, body]) => objects.put(path, body, WriteCondition.Always()), {
    concurrency: 8,
    discard: true,
  })

/** Real time passing: moto stamps LastModified with its own clock. */
const waitUntil = (millis: number) =>
  Effect.promise(() => new Promise((resolve) => setTimeout(resolve, Math.max(0, millis - Date.now()))))

/**
 * moto stamps LastModified itself, to the second, so the aged objects are written first and the
 * fresh ones at least two seconds later; the sweep runs at an instant between their expiries.
 */
const planter = AgedPlanter.of({
  plant: (aged, fresh) =>
    Effect.gen(function* () {
      const objects = yield* ObjectStore
      yield* putAll(objects, aged)
      const listed = yield* Stream.runCollect(objects.list(runIndexPrefix))
      const newestAged = Math.max(...Chunk.toReadonlyArray(listed).map((each) => each.lastModified))
      yield* waitUntil(newestAged + 2000)
      yield* putAll(objects, fresh)
      return newestAged + 1000 + retentionMillis
    }),
})

sweepPagingSuite("s3 on moto", {
  makeLayer: (paging) =>
    Layer.mergeAll(
      Layer.succeed(AgedPlanter, planter),
      Layer.effect(
        SdkCallCounter,
        Effect.map(S3ClientService, (client) => SdkCallCounter.of({ start: () => countS3Calls(client) })),
      ),
    ).pipe(Layer.provideMerge(motoLayer(paging))),
  honoursDeleteVersion: false,
})
