import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Schema, Stream } from "effect"
import * as LocalDeliverySpool from "../../src/adapters/LocalDeliverySpool.js"
import { DeliveryId } from "../../src/domain/WorkflowRunPayload.js"
import type { ParkedDelivery } from "../../src/ports/DeliveryLog.js"
import { DeliverySpool } from "../../src/ports/DeliverySpool.js"

const parked = (id: string, body = "{}"): ParkedDelivery => ({
  deliveryId: Schema.decodeSync(DeliveryId)(id),
  headers: { "x-github-event": "workflow_run" },
  body,
  reason: "store put failed (Unavailable)",
  parkedAt: "2026-12-02T00:00:00.000Z",
  attempts: 1,
})

const withSpool = <A, E>(
  directory: string,
  options: { readonly maxDeliveries?: number; readonly maxBytes?: number },
  use: (spool: DeliverySpool["Type"]) => Effect.Effect<A, E>,
) =>
  Effect.flatMap(DeliverySpool, use).pipe(
    Effect.provide(LocalDeliverySpool.layer({ directory, ...options })),
    Effect.provide(NodeContext.layer),
  )

describe("the local delivery spool on disk", () => {
  it.live(
    "keeps deliveries whole across a restart, refuses past its bounds, and removes partial writes",
    () =>
      Effect.gen(function* () {
        const root = yield* Effect.promise(() => mkdtemp(join(tmpdir(), "run-index-spool-")))
        const directory = join(root, "spool")
        const bounds = { maxDeliveries: 2, maxBytes: 100_000 }
        yield* withSpool(directory, bounds, (spool) =>
          Effect.gen(function* () {
            yield* spool.keep(parked("a-1"))
            yield* spool.keep(parked("a-2"))
            // Keeping one already spooled replaces it, and counts once.
            yield* spool.keep(parked("a-2", '{"again":true}'))
            const refused = yield* Effect.flip(spool.keep(parked("a-3")))
            assert.strictEqual(refused.reason, "Full")
            assert.strictEqual((yield* spool.usage).deliveries, 2)
          }),
        )
        // A write that a crash cut short, left by an earlier run.
        yield* Effect.promise(() => writeFile(join(directory, ".a-9.0123456789ab.partial"), "{"))
        yield* withSpool(directory, bounds, (spool) =>
          Effect.gen(function* () {
            assert.strictEqual((yield* spool.usage).deliveries, 2)
            const kept = Chunk.toReadonlyArray(yield* Stream.runCollect(spool.spooled))
            assert.deepStrictEqual(
              kept.map((each) => [each.deliveryId, each.body]),
              [
                ["a-1", "{}"],
                ["a-2", '{"again":true}'],
              ],
            )
            assert.strictEqual((yield* Effect.flip(spool.keep(parked("a-3")))).reason, "Full")
            yield* spool.remove(kept[0]!.deliveryId)
            yield* spool.keep(parked("a-3"))
            assert.deepStrictEqual((yield* Effect.promise(() => readdir(directory))).sort(), [
              "a-2.json",
              "a-3.json",
            ])
          }),
        )
        // Bytes bound: one body larger than the spool.
        yield* withSpool(join(root, "small"), { maxBytes: 200 }, (spool) =>
          Effect.gen(function* () {
            assert.strictEqual(
              (yield* Effect.flip(spool.keep(parked("b-1", "x".repeat(500))))).reason,
              "Full",
            )
            assert.strictEqual((yield* spool.usage).bytes, 0)
          }),
        )
        yield* Effect.promise(() => rm(root, { recursive: true, force: true }))
      }),
  )
})
