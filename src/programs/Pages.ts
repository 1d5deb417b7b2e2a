import { Chunk, Effect, Stream } from "effect"

/**
 * `f` on every element of a listing, `concurrency` at a time within each chunk (a listing page),
 * in order. `Stream.mapEffect` with concurrency costs about half a millisecond an element in
 * scheduling; this costs a few microseconds, and holds no more than the page the listing holds.
 */
export const mapPagesEffect =
  <A, B, E2, R2>(f: (item: A) => Effect.Effect<B, E2, R2>, concurrency: number) =>
  <E, R>(stream: Stream.Stream<A, E, R>): Stream.Stream<B, E | E2, R | R2> =>
    Stream.mapChunksEffect(stream, (page) =>
      Effect.map(Effect.forEach(page, f, { concurrency }), Chunk.unsafeFromArray),
    )
