/**
 * ABLATION for `run-index simulate --lanes off`: dispatch lanes that never wait and remember
 * nothing. Every dispatch "holds" its lane at once, beside any other in flight on it, and a webhook
 * reading a lane finds no record — so the simulation shows what real lanes buy. A rig part: nothing
 * in the product reaches it.
 */
import { Clock, Effect, Layer, Option } from "effect"
import { emptyLaneRecord, type LaneHolder, withHolder } from "../../domain/DispatchLane.js"
import { DispatchLanes, LaneRelease, LaneSettings } from "../../ports/DispatchLanes.js"

export const layer: Layer.Layer<DispatchLanes> = Layer.sync(DispatchLanes, () => {
  let holds = 0
  return DispatchLanes.of({
    acquire: (lane, claimant) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const { holdMillis } = yield* LaneSettings
        holds += 1
        const holder: LaneHolder = {
          token: `unheld-${holds}`,
          ...claimant,
          acquiredAt: now,
          expiresAt: now + holdMillis,
          awaiting: false,
        }
        return { lane, holder, record: withHolder(emptyLaneRecord, holder) }
      }),
    renew: (lease, until) =>
      Effect.succeed(
        Option.some({
          ...lease,
          holder: { ...lease.holder, expiresAt: until },
          record: withHolder(lease.record, { ...lease.holder, expiresAt: until }),
        }),
      ),
    awaitRun: () => Effect.succeed(LaneRelease.Released()),
    release: () => Effect.succeed(LaneRelease.Released()),
    read: () => Effect.succeedNone,
    settle: () => Effect.succeed(LaneRelease.NotHolder({ holder: null })),
  })
})
