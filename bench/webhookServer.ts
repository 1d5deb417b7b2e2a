/**
 * A webhook server for the "webhook" bench, in a process of its own: `service` is run-index's HTTP
 * service on the memory store with `runs` requests seeded (each attempt holding a run, each run
 * indexed); `bare` is a plain node:http server that only verifies the signature and parses the JSON;
 * `effect-floor` does what `bare` does on @effect/platform's HTTP server — the most the service
 * could reach with no store work at all.
 * Prints its URL, then serves until stdin closes.
 */
import { createServer } from "node:http"
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { verify } from "@octokit/webhooks-methods"
import { Effect, Layer, Logger, LogLevel, Redacted, Schema } from "effect"
import { makeRouter } from "../src/adapters/http/HttpService.js"
import * as ObjectDeliveryLog from "../src/adapters/ObjectDeliveryLog.js"
import * as ObjectDispatchLanes from "../src/adapters/ObjectDispatchLanes.js"
import * as ObjectRequestStore from "../src/adapters/ObjectRequestStore.js"
import * as ObjectRunIndexStore from "../src/adapters/ObjectRunIndexStore.js"
import * as MemoryObjectStore from "../src/adapters/objects/MemoryObjectStore.js"
import { ObjectStore, WriteCondition } from "../src/adapters/objects/ObjectStore.js"
import * as GitHub from "../src/app/GitHub.js"
import { RequestId } from "../src/domain/RequestId.js"
import { RunId } from "../src/domain/RunId.js"
import { makeEntry } from "../src/domain/RunIndexEntry.js"
import { RunIndexStore } from "../src/ports/RunIndexStore.js"
import { requestDocumentWithRun } from "../test/support/payloads.js"

const firstRunId = 1_000_000

const [mode = "service", secret = "bench-secret", runsText = "100"] = process.argv.slice(2)
const runs = Number(runsText)

const untilStdinCloses = () =>
  new Promise<void>((resolve) => {
    process.stdin.resume()
    process.stdin.on("end", () => resolve())
  })

const bare = async () => {
  const server = createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8")
      const valid = await verify(secret, body, String(request.headers["x-hub-signature-256"] ?? "")).catch(
        () => false,
      )
      if (!valid) {
        response.writeHead(401).end()
        return
      }
      JSON.parse(body)
      response.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  process.stdout.write(
    `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}\n`,
  )
  await untilStdinCloses()
  server.close()
}

const effectFloor = async () => {
  const route = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const body = yield* request.text
    const signature = request.headers["x-hub-signature-256"] ?? ""
    const valid = yield* Effect.promise(() => verify(secret, body, signature).catch(() => false))
    if (!valid) return HttpServerResponse.empty({ status: 401 })
    JSON.parse(body)
    return HttpServerResponse.unsafeJson({ ok: true })
  })
  const server = HttpServer.serve(HttpRouter.empty.pipe(HttpRouter.post("/webhooks/github", route))).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
  )
  const program = Effect.gen(function* () {
    yield* HttpServer.addressFormattedWith((address) =>
      Effect.sync(() => process.stdout.write(`${address}\n`)),
    )
    yield* Effect.promise(untilStdinCloses)
  })
  await Effect.runPromise(
    program.pipe(Effect.provide(server), Logger.withMinimumLogLevel(LogLevel.Warning), Effect.scoped),
  )
}

const seed = Effect.gen(function* () {
  const objects = yield* ObjectStore
  const index = yield* RunIndexStore
  for (let position = 0; position < runs; position++) {
    const runId = Schema.decodeSync(RunId)(firstRunId + position)
    const requestId = Schema.decodeSync(RequestId)(`req_bench_${position}`)
    const document = requestDocumentWithRun("apply", runId)
    yield* objects.put(`requests/${requestId}.json`, JSON.stringify(document), WriteCondition.Always())
    yield* index.claim(
      makeEntry({ kind: "apply", runId, requestId, nowMillis: Date.now(), retentionDays: 90 }),
    )
  }
})

const service = async () => {
  const stores = Layer.mergeAll(
    ObjectRunIndexStore.layer,
    ObjectRequestStore.layer,
    ObjectDeliveryLog.layer,
    ObjectDispatchLanes.layer,
  ).pipe(Layer.provideMerge(MemoryObjectStore.layerMemory))
  const server = HttpServer.serve(
    makeRouter({
      apiToken: Redacted.make("bench"),
      webhook: { secrets: [Redacted.make(secret)], maxBytes: 5 * 1024 * 1024 },
    }),
  ).pipe(
    Layer.provide(GitHub.layer),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
    Layer.provideMerge(stores),
  )
  const program = Effect.gen(function* () {
    yield* seed
    yield* HttpServer.addressFormattedWith((address) =>
      Effect.sync(() => process.stdout.write(`${address}\n`)),
    )
    yield* Effect.promise(untilStdinCloses)
  })
  await Effect.runPromise(
    program.pipe(Effect.provide(server), Logger.withMinimumLogLevel(LogLevel.Warning), Effect.scoped),
  )
}

await (mode === "bare" ? bare() : mode === "effect-floor" ? effectFloor() : service())
process.exit(0)
