import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as ObjectRunIndexStore from "../../src/adapters/ObjectRunIndexStore.js"
import { ObjectStore, WriteCondition } from "../../src/adapters/objects/ObjectStore.js"
import * as S3Client from "../../src/adapters/objects/S3Client.js"
import * as S3ObjectStore from "../../src/adapters/objects/S3ObjectStore.js"
import { encodeEntry } from "../../src/domain/RunIndexEntry.js"
import { keyPath } from "../../src/domain/RunIndexKey.js"
import { RunIndexStore } from "../../src/ports/RunIndexStore.js"
import { entry, runId } from "../support/fixtures.js"
import { type S3Stub, startS3Stub } from "../support/S3Stub.js"
import { withVirtualTime } from "../support/time.js"

const bucket = "run-index-stub"

/** The S3 object store and the run index on top of it, talking through the real SDK to the stub. */
const storesOn = (stub: S3Stub, clientOptions: { readonly maxAttempts?: number } = {}) =>
  ObjectRunIndexStore.layer.pipe(
    Layer.provideMerge(S3ObjectStore.layer({ bucket })),
    Layer.provide(S3Client.layer({ endpoint: stub.url, region: "us-east-1", ...clientOptions })),
  )

const withStub = <A, E, R>(use: (stub: S3Stub) => Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.promise(() => startS3Stub()),
    use,
    (stub) => Effect.promise(() => stub.close()),
  )

const statuses = (stub: S3Stub) => stub.requests.map((request) => `${request.method} ${request.status}`)

const slowDown = { status: 503, code: "SlowDown", message: "Please reduce your request rate." } as const
const conditionalConflict = {
  status: 409,
  code: "ConditionalRequestConflict",
  message: "A conflicting operation occurred. If using PutObject you can retry the request.",
} as const

describe("S3 object store against faults moto cannot produce", () => {
  it.effect("a 503 SlowDown then success is retried by the SDK and the write succeeds", () =>
    withStub((stub) =>
      Effect.gen(function* () {
        stub.enqueue(slowDown)
        const objects = yield* ObjectStore
        const outcome = yield* objects.put("requests/req_a.json", "{}", WriteCondition.Always())
        assert.strictEqual(outcome._tag, "Written")
        assert.deepStrictEqual(statuses(stub), ["PUT 503", "PUT 200"])
      }).pipe(Effect.provide(storesOn(stub))),
    ),
  )

  it.effect("503 SlowDown on every attempt fails with reason Throttled", () =>
    withStub((stub) =>
      Effect.gen(function* () {
        stub.enqueue(slowDown, slowDown)
        const objects = yield* ObjectStore
        const error = yield* Effect.flip(objects.put("requests/req_a.json", "{}", WriteCondition.Always()))
        assert.strictEqual(error.reason, "Throttled")
        assert.strictEqual(error.operation, "put")
        assert.include(error.detail, `s3://${bucket}/requests/req_a.json`)
        assert.include(error.detail, "SlowDown (HTTP 503)")
        assert.notMatch(error.detail, /Credential|Signature/)
        assert.deepStrictEqual(statuses(stub), ["PUT 503", "PUT 503"])
      }).pipe(Effect.provide(storesOn(stub, { maxAttempts: 2 }))),
    ),
  )

  it.effect("a 409 ConditionalRequestConflict on a claim is retried and the claim succeeds", () =>
    withStub((stub) =>
      Effect.gen(function* () {
        stub.enqueue(conditionalConflict)
        const store = yield* RunIndexStore
        const claimed = yield* withVirtualTime(store.claim(entry("plan", 42, "req_a")))
        assert.strictEqual(claimed._tag, "Claimed")
        assert.deepStrictEqual(statuses(stub), ["PUT 409", "PUT 200"])
      }).pipe(Effect.provide(storesOn(stub))),
    ),
  )

  it.effect(
    "a claim that keeps meeting 409 gives up after a bounded number of tries with reason Conflict",
    () =>
      withStub((stub) =>
        Effect.gen(function* () {
          stub.enqueue(...Array(10).fill(conditionalConflict))
          const store = yield* RunIndexStore
          const error = yield* Effect.flip(withVirtualTime(store.claim(entry("plan", 42, "req_a"))))
          assert.strictEqual(error.reason, "Conflict")
          assert.deepStrictEqual(statuses(stub), Array(5).fill("PUT 409"))
        }).pipe(Effect.provide(storesOn(stub))),
      ),
  )

  it.effect("a claim whose write landed but answered 500, then 412 on the SDK's retry, is AlreadyYours", () =>
    withStub((stub) =>
      Effect.gen(function* () {
        stub.enqueue({ status: 500, code: "InternalError", afterHandling: true })
        const store = yield* RunIndexStore
        const mine = entry("apply", 7, "req_a")
        const claim = yield* store.claim(mine)
        assert.strictEqual(claim._tag, "AlreadyYours")
        assert.deepStrictEqual(statuses(stub), ["PUT 500", "PUT 412", "GET 200"])
        assert.strictEqual(stub.objects.get(`${bucket}/${keyPath(mine)}`)?.body, encodeEntry(mine))
      }).pipe(Effect.provide(storesOn(stub))),
    ),
  )

  it.effect("403 AccessDenied fails with reason AccessDenied and is not retried", () =>
    withStub((stub) =>
      Effect.gen(function* () {
        stub.enqueue({ status: 403, code: "AccessDenied", message: "Access Denied" })
        const store = yield* RunIndexStore
        const error = yield* Effect.flip(store.get({ kind: "plan", runId: runId(1) }))
        assert.strictEqual(error.reason, "AccessDenied")
        assert.deepStrictEqual(statuses(stub), ["GET 403"])
      }).pipe(Effect.provide(storesOn(stub))),
    ),
  )

  it.effect("a get answered 404 NoSuchKey reads as Missing", () =>
    withStub((stub) =>
      Effect.gen(function* () {
        stub.enqueue({ status: 404, code: "NoSuchKey", message: "The specified key does not exist." })
        const store = yield* RunIndexStore
        const found = yield* store.get({ kind: "plan", runId: runId(1) })
        assert.strictEqual(found._tag, "Missing")
      }).pipe(Effect.provide(storesOn(stub))),
    ),
  )

  it.effect("a bucket that does not exist fails with reason NotConfigured", () =>
    withStub((stub) =>
      Effect.gen(function* () {
        stub.enqueue({ status: 404, code: "NoSuchBucket", message: "The specified bucket does not exist" })
        const objects = yield* ObjectStore
        const error = yield* Effect.flip(objects.get("requests/req_a.json"))
        assert.strictEqual(error.reason, "NotConfigured")
      }).pipe(Effect.provide(storesOn(stub))),
    ),
  )

  it.effect(
    "keys DeleteObjects refuses in its answer (it does not fail) are returned with their reason, a changed ETag as Conflict",
    () =>
      withStub((stub) =>
        Effect.gen(function* () {
          stub.enqueue({
            status: 200,
            body:
              '<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
              "<Error><Key>webhooks/github/run-index/plan/run-2.json</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>" +
              "<Error><Key>webhooks/github/run-index/plan/run-3.json</Key><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>" +
              "<Error><Key>webhooks/github/run-index/plan/run-4.json</Key><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>" +
              "</DeleteResult>",
          })
          const objects = yield* ObjectStore
          const paths = [1, 2, 3, 4].map((id) => `webhooks/github/run-index/plan/run-${id}.json`)
          const refused = yield* objects.deleteMany(
            paths.map((path, index) => (index === 0 ? { path } : { path, version: `"etag-${index}"` })),
          )
          assert.deepStrictEqual(
            refused.map((each) => [each.path, each.error.reason]),
            [
              [paths[1], "AccessDenied"],
              [paths[2], "Unavailable"],
              [paths[3], "Conflict"],
            ],
          )
          assert.include(refused[0]?.error.detail ?? "", "AccessDenied: Access Denied")
          assert.deepStrictEqual(statuses(stub), ["POST 200"])
          const sent = stub.requests[0]?.body ?? ""
          assert.strictEqual(sent.match(/<Key>/g)?.length, 4)
          // Each key listed with a version carries its ETag; the one without is deleted unconditionally.
          assert.deepStrictEqual(sent.match(/<ETag>[^<]*<\/ETag>/g), [
            "<ETag>&quot;etag-1&quot;</ETag>",
            "<ETag>&quot;etag-2&quot;</ETag>",
            "<ETag>&quot;etag-3&quot;</ETag>",
          ])
        }).pipe(Effect.provide(storesOn(stub))),
      ),
  )

  it.effect("a server that refuses connections fails with reason Unavailable", () =>
    Effect.gen(function* () {
      const closed = yield* Effect.promise(() => startS3Stub())
      yield* Effect.promise(() => closed.close())
      const error = yield* Effect.flatMap(ObjectStore, (objects) => objects.get("requests/req_a.json")).pipe(
        Effect.provide(storesOn(closed, { maxAttempts: 1 })),
        Effect.flip,
      )
      assert.strictEqual(error.reason, "Unavailable")
      assert.include(error.detail, "ECONNREFUSED")
    }),
  )
})

describe("S3 stub with a fixed GET body", () => {
  const served = entry("plan", 1, "req_a")

  it.effect("answers every GET with the fixed body", () =>
    Effect.acquireUseRelease(
      Effect.promise(() => startS3Stub({ fixedGetBody: encodeEntry(served) })),
      (stub) =>
        Effect.gen(function* () {
          const store = yield* RunIndexStore
          const found = yield* store.get(served)
          assert.strictEqual(found._tag, "Found")
          if (found._tag === "Found") assert.deepStrictEqual(found.entry, served)
          assert.strictEqual(stub.requests.length, 0)
        }).pipe(Effect.provide(storesOn(stub))),
      (stub) => Effect.promise(() => stub.close()),
    ),
  )
})
