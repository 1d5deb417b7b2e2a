import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, type Layer, Option, Stream } from "effect"
import type { ObjectStore } from "../../src/adapters/objects/ObjectStore.js"
import { ObjectStore as ObjectStoreTag, WriteCondition } from "../../src/adapters/objects/ObjectStore.js"
import { appendAttempt, type RequestDocument, requestPath } from "../../src/domain/RequestDocument.js"
import { RequestStore } from "../../src/ports/RequestStore.js"
import { updateRequest } from "../../src/programs/RequestUpdates.js"
import { requestId } from "../support/fixtures.js"

/** A document as a host might hold it: fields of its own at every level. */
const hostDocument = JSON.stringify({
  id: "req_host",
  version: 7,
  owner: { team: "platform", tags: ["a", "b"] },
  runs: {
    apply: {
      currentAttempt: 1,
      note: "kept",
      attempts: [
        {
          attempt: 1,
          status: "completed",
          dispatchedAt: "2025-01-01T00:00:00.000Z",
          runId: 5,
          custom: { x: 1 },
        },
      ],
    },
    hostKind: { anything: true },
  },
})

const plant = (path: string, body: string) =>
  Effect.flatMap(ObjectStoreTag, (objects) => objects.put(path, body, WriteCondition.Always()))

/** The stored JSON, loosely typed: what a test inspects of it. */
interface StoredDocument {
  readonly version: unknown
  readonly marker?: string
  readonly note?: string
  readonly owner?: unknown
  readonly runs: Record<
    string,
    {
      readonly currentAttempt: number
      readonly note?: string
      readonly attempts: Array<Record<string, unknown>>
    }
  >
}

const storedJson = (path: string) =>
  Effect.flatMap(ObjectStoreTag, (objects) => objects.get(path)).pipe(
    Effect.map((stored) =>
      Option.isSome(stored) ? (JSON.parse(stored.value.body) as StoredDocument) : null,
    ),
  )

const original = JSON.parse(hostDocument) as StoredDocument

const addAttempt = (kind: "plan" | "apply", index: number) => (document: RequestDocument) =>
  Option.some(
    appendAttempt(document, {
      kind,
      dispatchedAt: `2025-01-01T00:00:${String(index).padStart(2, "0")}.000Z`,
      ref: `ref-${index}`,
      repository: "acme/infra",
    }).document,
  )

/** The behaviour every RequestStore adapter must have; `makeLayer` gives a fresh empty store per build. */
export const requestStoreContract = (
  name: string,
  makeLayer: () => Layer.Layer<RequestStore | ObjectStore, unknown>,
  options: { readonly concurrentWriters?: number } = {},
) =>
  describe(`RequestStore contract: ${name}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, RequestStore | ObjectStore>) =>
      Effect.provide(effect, makeLayer())

    it.effect("a missing document reads as Missing", () =>
      run(
        Effect.gen(function* () {
          const store = yield* RequestStore
          assert.strictEqual((yield* store.get(requestId("req_none")))._tag, "Missing")
        }),
      ),
    )

    it.effect("create writes version 1 once; a second create is Stale and changes nothing", () =>
      run(
        Effect.gen(function* () {
          const store = yield* RequestStore
          const id = requestId("req_new")
          const first = yield* store.create(id, { version: 0, runs: {}, marker: "first" })
          assert.strictEqual(first._tag === "Written" && first.document.version, 1)
          const second = yield* store.create(id, { version: 0, runs: {}, marker: "second" })
          assert.strictEqual(second._tag, "Stale")
          assert.strictEqual((yield* storedJson(requestPath(id)))?.marker, "first")
        }),
      ),
    )

    it.effect(
      "compare-and-set writes with the current tag, bumps version, and is Stale with an old tag",
      () =>
        run(
          Effect.gen(function* () {
            const store = yield* RequestStore
            const id = requestId("req_cas")
            yield* store.create(id, { version: 0, runs: {} })
            const read = yield* store.get(id)
            assert.strictEqual(read._tag, "Found")
            if (read._tag !== "Found") return
            const written = yield* store.compareAndSet(id, { ...read.document, note: "one" }, read.tag)
            assert.strictEqual(written._tag === "Written" && written.document.version, 2)
            const stale = yield* store.compareAndSet(id, { ...read.document, note: "two" }, read.tag)
            assert.strictEqual(stale._tag, "Stale")
            const stored = yield* storedJson(requestPath(id))
            assert.deepStrictEqual([stored?.version, stored?.note], [2, "one"])
          }),
        ),
    )

    it.effect("compare-and-set on a document that does not exist is Stale", () =>
      run(
        Effect.gen(function* () {
          const store = yield* RequestStore
          const outcome = yield* store.compareAndSet(
            requestId("req_ghost"),
            { version: 0, runs: {} },
            '"abc"',
          )
          assert.strictEqual(outcome._tag, "Stale")
        }),
      ),
    )

    it.effect("fields this project does not know survive an update at every level", () =>
      run(
        Effect.gen(function* () {
          const id = requestId("req_host")
          yield* plant(requestPath(id), hostDocument)
          yield* updateRequest(id, addAttempt("apply", 2))
          const stored = yield* storedJson(requestPath(id))
          assert.strictEqual(stored?.version, 8)
          assert.deepStrictEqual(stored?.owner, original.owner)
          const runs = stored?.runs ?? {}
          assert.deepStrictEqual(runs.hostKind, original.runs.hostKind)
          assert.strictEqual(runs.apply?.note, "kept")
          assert.deepStrictEqual(runs.apply?.attempts[0], original.runs.apply?.attempts[0])
          assert.deepStrictEqual([runs.apply?.currentAttempt, runs.apply?.attempts[1]?.attempt], [2, 2])
        }),
      ),
    )

    it.effect("a stored body that is not a request document reads as Invalid and is never overwritten", () =>
      run(
        Effect.gen(function* () {
          const store = yield* RequestStore
          const id = requestId("req_bad")
          yield* plant(requestPath(id), '{"version":"seven"}')
          const read = yield* store.get(id)
          assert.strictEqual(read._tag, "Invalid")
          const update = yield* Effect.either(updateRequest(id, addAttempt("plan", 1)))
          assert.isTrue(update._tag === "Left" && update.left.reason === "Invalid")
          assert.deepStrictEqual(yield* storedJson(requestPath(id)), {
            version: "seven",
          } as unknown as StoredDocument)
        }),
      ),
    )

    it.effect("list yields every document's id in key order and skips other objects under requests/", () =>
      run(
        Effect.gen(function* () {
          const store = yield* RequestStore
          assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Stream.runCollect(store.list)), [])
          for (const id of ["req_b", "req_a", "req_c.x"])
            yield* store.create(requestId(id), { version: 0, runs: {} })
          yield* plant("requests/notes.txt", "not a document")
          yield* plant("requests/nested/req_d.json", "{}")
          yield* plant("webhooks/github/run-index/plan/run-1.json", "{}")
          assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Stream.runCollect(store.list)), [
            requestId("req_a"),
            requestId("req_b"),
            requestId("req_c.x"),
          ])
        }),
      ),
    )

    const writers = options.concurrentWriters ?? 20
    it.live(`${writers} concurrent compare-and-set updates to one document all land`, () =>
      run(
        Effect.gen(function* () {
          const id = requestId("req_busy")
          yield* plant(requestPath(id), hostDocument)
          yield* Effect.forEach(
            Array.from({ length: writers }, (_, index) => index),
            (index) => updateRequest(id, addAttempt("plan", index)),
            { concurrency: "unbounded", discard: true },
          )
          const stored = yield* storedJson(requestPath(id))
          const plan = stored?.runs.plan
          assert.strictEqual(stored?.version, 7 + writers)
          assert.strictEqual(plan?.currentAttempt, writers)
          assert.deepStrictEqual(
            (plan?.attempts ?? []).map((attempt) => String(attempt.ref)).sort(),
            Array.from({ length: writers }, (_, index) => `ref-${index}`).sort(),
          )
          assert.deepStrictEqual(stored?.owner, original.owner)
        }),
      ),
    )
  })
