import { randomBytes } from "node:crypto"
import { FileSystem, Path } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Either, Layer, Option, Schema, Stream } from "effect"
import type { DeliveryId } from "../domain/WorkflowRunPayload.js"
import { type ParkedDelivery, ParkedDeliveryFromJson } from "../ports/DeliveryLog.js"
import { DeliverySpool, SpoolRefused } from "../ports/DeliverySpool.js"

export interface LocalSpoolOptions {
  /** The spool's own directory, created when the first delivery is spooled. */
  readonly directory: string
  /** At most this many deliveries spooled at once (10,000 by default). */
  readonly maxDeliveries?: number
  /** At most this many bytes of spooled files (256 MB by default). */
  readonly maxBytes?: number
}

export const defaultMaxDeliveries = 10_000
export const defaultMaxBytes = 256 * 1024 * 1024

const StoredParked = ParkedDeliveryFromJson
const decodeParked = Schema.decodeUnknownEither(StoredParked)
const encodeParked = Schema.encodeSync(StoredParked)

/** Spooled files are `<deliveryId>.json`; a write in progress is a dot-file ending `.partial`. */
const spooledName = /^([A-Za-z0-9][A-Za-z0-9-]{0,99})\.json$/

const unavailable = (detail: string) => (cause: PlatformError) =>
  new SpoolRefused({ reason: "Unavailable", detail: `${detail}: ${cause.message}`, cause })

/**
 * A spool in a directory of this instance's disk: one file per delivery, written to a temp file and
 * renamed into place, so a file seen is whole. The bounds are kept in memory, counted from the
 * directory when the layer is built (what an earlier run left is kept and drained too); several
 * processes sharing one directory each hold to the bounds for what they add, so together they may
 * pass them a little. A full spool refuses, and the refusal is logged by the caller.
 */
export const layer = (
  options: LocalSpoolOptions,
): Layer.Layer<DeliverySpool, never, FileSystem.FileSystem | Path.Path> =>
  Layer.effect(
    DeliverySpool,
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const { directory } = options
      const maxDeliveries = options.maxDeliveries ?? defaultMaxDeliveries
      const maxBytes = options.maxBytes ?? defaultMaxBytes
      const fileOf = (deliveryId: string) => path.join(directory, `${deliveryId}.json`)
      /** Bytes of each spooled file, by delivery id. */
      const sizes = new Map<string, number>()
      let bytes = 0
      const lock = yield* Effect.makeSemaphore(1)

      const names = fs.readDirectory(directory).pipe(
        Effect.catchIf(
          (error) => error._tag === "SystemError" && error.reason === "NotFound",
          () => Effect.succeed<ReadonlyArray<string>>([]),
        ),
      )
      // What an earlier run left: whole files are counted (and drained later), partial writes removed.
      for (const name of yield* Effect.orElseSucceed(names, () => [])) {
        const file = path.join(directory, name)
        if (name.endsWith(".partial")) {
          yield* fs.remove(file, { force: true }).pipe(Effect.ignore)
          continue
        }
        const match = spooledName.exec(name)
        if (match?.[1] === undefined) continue
        const size = yield* Effect.option(Effect.map(fs.stat(file), (info) => Number(info.size)))
        if (Option.isSome(size)) {
          sizes.set(match[1], size.value)
          bytes += size.value
        }
      }

      const keep = (parked: ParkedDelivery) =>
        lock.withPermits(1)(
          Effect.gen(function* () {
            const content = encodeParked(parked)
            const size = Buffer.byteLength(content)
            const replaced = sizes.get(parked.deliveryId) ?? 0
            const count = sizes.size + (sizes.has(parked.deliveryId) ? 0 : 1)
            if (count > maxDeliveries || bytes - replaced + size > maxBytes) {
              return yield* new SpoolRefused({
                reason: "Full",
                detail: `the spool ${directory} holds ${sizes.size} deliveries, ${bytes} bytes (at most ${maxDeliveries}, ${maxBytes} bytes)`,
              })
            }
            yield* fs
              .makeDirectory(directory, { recursive: true })
              .pipe(Effect.mapError(unavailable(`cannot create ${directory}`)))
            const temp = path.join(
              directory,
              `.${parked.deliveryId}.${randomBytes(6).toString("hex")}.partial`,
            )
            yield* fs.writeFileString(temp, content).pipe(
              Effect.zipRight(fs.rename(temp, fileOf(parked.deliveryId))),
              Effect.onError(() => fs.remove(temp, { force: true }).pipe(Effect.ignore)),
              Effect.mapError(unavailable(`cannot write ${fileOf(parked.deliveryId)}`)),
            )
            sizes.set(parked.deliveryId, size)
            bytes += size - replaced
          }),
        )

      const remove = (deliveryId: DeliveryId) =>
        lock.withPermits(1)(
          fs.remove(fileOf(deliveryId), { force: true }).pipe(
            Effect.mapError(unavailable(`cannot remove ${fileOf(deliveryId)}`)),
            Effect.tap(() =>
              Effect.sync(() => {
                bytes -= sizes.get(deliveryId) ?? 0
                sizes.delete(deliveryId)
              }),
            ),
          ),
        )

      const read = (name: string) =>
        fs.readFileString(path.join(directory, name)).pipe(
          Effect.map((text) => decodeParked(text)),
          Effect.flatMap(
            Either.match({
              onRight: (parked) => Effect.succeed(Option.some(parked)),
              onLeft: (error) =>
                Effect.as(
                  Effect.logWarning("spooled delivery unreadable; left in place").pipe(
                    Effect.annotateLogs({ file: path.join(directory, name), detail: error.message }),
                  ),
                  Option.none<ParkedDelivery>(),
                ),
            }),
          ),
          // Removed meanwhile (another process drained it): nothing to move.
          Effect.catchAll(() => Effect.succeed(Option.none<ParkedDelivery>())),
        )

      const spooled: Stream.Stream<ParkedDelivery, SpoolRefused> = Stream.unwrap(
        Effect.map(names.pipe(Effect.mapError(unavailable(`cannot list ${directory}`))), (all) =>
          Stream.fromIterable([...all].filter((name) => spooledName.test(name)).sort()).pipe(
            Stream.mapEffect(read),
            Stream.filterMap((each) => each),
          ),
        ),
      )

      const usage = Effect.sync(() => ({ deliveries: sizes.size, bytes, maxDeliveries, maxBytes }))

      return DeliverySpool.of({ keep, spooled, remove, usage })
    }),
  )

/** A spool in memory, bounded the same way: fresh per layer build, for tests. */
export const layerMemory = (options: Omit<LocalSpoolOptions, "directory"> = {}): Layer.Layer<DeliverySpool> =>
  Layer.sync(DeliverySpool, () => {
    const maxDeliveries = options.maxDeliveries ?? defaultMaxDeliveries
    const maxBytes = options.maxBytes ?? defaultMaxBytes
    const held = new Map<string, { readonly parked: ParkedDelivery; readonly size: number }>()
    const bytes = () => [...held.values()].reduce((sum, each) => sum + each.size, 0)
    return DeliverySpool.of({
      keep: (parked) =>
        Effect.suspend(() => {
          const size = Buffer.byteLength(encodeParked(parked))
          const replaced = held.get(parked.deliveryId)?.size ?? 0
          const count = held.size + (held.has(parked.deliveryId) ? 0 : 1)
          if (count > maxDeliveries || bytes() - replaced + size > maxBytes)
            return Effect.fail(
              new SpoolRefused({ reason: "Full", detail: `the memory spool holds ${held.size} deliveries` }),
            )
          held.set(parked.deliveryId, { parked, size })
          return Effect.void
        }),
      spooled: Stream.suspend(() =>
        Stream.fromIterable([...held.keys()].sort().flatMap((id) => held.get(id)?.parked ?? [])),
      ),
      remove: (deliveryId) => Effect.sync(() => void held.delete(deliveryId)),
      usage: Effect.sync(() => ({ deliveries: held.size, bytes: bytes(), maxDeliveries, maxBytes })),
    })
  })
