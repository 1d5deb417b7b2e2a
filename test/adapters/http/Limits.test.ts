import { mkdtemp, rm } from "node:fs/promises"
import { connect, type Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type RunningService, startService } from "../../support/service.js"

/**
 * The limits on what an unauthenticated client can hold, over real sockets against the service as
 * `npm start` composes it, with small settings so each limit shows within a second or two.
 */

interface Raw {
  readonly socket: Socket
  /** Everything the server sent so far. */
  readonly received: () => string
  /** Resolves with the milliseconds from connecting to the server closing (or resetting) the socket. */
  readonly closed: Promise<number>
  readonly connected: Promise<void>
}

const open = (port: number): Raw => {
  const started = performance.now()
  const socket = connect(port, "127.0.0.1")
  let received = ""
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString("latin1")
  })
  socket.on("error", () => {})
  return {
    socket,
    received: () => received,
    closed: new Promise((resolve) => socket.once("close", () => resolve(performance.now() - started))),
    connected: new Promise((resolve) => socket.once("connect", () => resolve())),
  }
}

/** Writes `text` one byte every `everyMillis` until the socket closes or the text ends. */
const drip = (raw: Raw, text: string, everyMillis: number) => {
  let index = 0
  const timer = setInterval(() => {
    if (raw.socket.destroyed || index >= text.length) {
      clearInterval(timer)
      return
    }
    raw.socket.write(text[index++] ?? "")
  }, everyMillis)
  void raw.closed.then(() => clearInterval(timer))
  return () => clearInterval(timer)
}

const headersOf = (length: number, extra = "") =>
  `POST /webhooks/github HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
  `X-GitHub-Event: workflow_run\r\nX-GitHub-Delivery: limits-1\r\n` +
  `X-Hub-Signature-256: sha256=${"0".repeat(64)}\r\nContent-Length: ${length}\r\n${extra}\r\n`

/** A whole bad-signature webhook request of `bytes` body bytes, answered by the service. */
const postUnsigned = (service: RunningService, bytes: number) =>
  fetch(`${service.baseUrl}/webhooks/github`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "workflow_run",
      "x-github-delivery": "limits-2",
      "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
    },
    body: "x".repeat(bytes),
  })

const directories: Array<string> = []
const services: Array<RunningService> = []
const serviceWith = async (env: Record<string, string>) => {
  const directory = await mkdtemp(join(tmpdir(), "run-index-limits-"))
  directories.push(directory)
  const service = await startService({
    RUN_INDEX_DATA_DIR: directory,
    RUN_INDEX_REPLAY_INTERVAL: "off",
    RUN_INDEX_API_TOKEN: "token",
    GITHUB_WEBHOOK_SECRET: "secret",
    ...env,
  })
  services.push(service)
  return service
}

afterAll(async () => {
  for (const service of services) await service.stop()
  for (const directory of directories) await rm(directory, { recursive: true, force: true })
})

describe("slow senders are cut off by the server's timeouts", () => {
  let service: RunningService
  beforeAll(async () => {
    service = await serviceWith({
      RUN_INDEX_HEADERS_TIMEOUT: "400 millis",
      RUN_INDEX_REQUEST_TIMEOUT: "800 millis",
    })
  })

  it("headers sent one byte every 100 ms: answered 408 and closed near the header timeout", async () => {
    const raw = open(service.port)
    await raw.connected
    const stop = drip(raw, headersOf(10).repeat(50), 100)
    const closedAfter = await Promise.race([
      raw.closed,
      new Promise<number>((resolve) => setTimeout(() => resolve(Number.POSITIVE_INFINITY), 5_000)),
    ])
    stop()
    raw.socket.destroy()
    // Node's defaults would hold it 60 s; the 400 ms timeout, checked every 100 ms, closes it well before 3 s.
    assert.isBelow(closedAfter, 3_000)
    assert.match(raw.received(), /^HTTP\/1\.1 408/)
  })

  it("a body sent one byte every 100 ms: answered 408 and closed near the request timeout", async () => {
    const raw = open(service.port)
    await raw.connected
    raw.socket.write(headersOf(1_000))
    const stop = drip(raw, "x".repeat(1_000), 100)
    const closedAfter = await Promise.race([
      raw.closed,
      new Promise<number>((resolve) => setTimeout(() => resolve(Number.POSITIVE_INFINITY), 5_000)),
    ])
    stop()
    raw.socket.destroy()
    assert.isBelow(closedAfter, 3_000)
    assert.notMatch(raw.received(), /^HTTP\/1\.1 413/)
    // The service still answers others.
    assert.strictEqual((await fetch(`${service.baseUrl}/healthz`)).status, 200)
  })
})

describe("connections beyond RUN_INDEX_MAX_CONNECTIONS", () => {
  it("are closed at once, with no answer; a place freed is taken again", async () => {
    const service = await serviceWith({ RUN_INDEX_MAX_CONNECTIONS: "3" })
    const held = [open(service.port), open(service.port), open(service.port)]
    await Promise.all(held.map((raw) => raw.connected))
    // Let the server accept all three before the fourth arrives.
    await new Promise((resolve) => setTimeout(resolve, 100))
    const extra = open(service.port)
    const closedAfter = await Promise.race([
      extra.closed,
      new Promise<number>((resolve) => setTimeout(() => resolve(Number.POSITIVE_INFINITY), 2_000)),
    ])
    assert.isBelow(closedAfter, 2_000)
    assert.strictEqual(extra.received(), "")
    // The held ones still work.
    held[0]!.socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    await held[0]!.closed
    assert.match(held[0]!.received(), /^HTTP\/1\.1 200/)
    // One closed: a new connection is served.
    await new Promise((resolve) => setTimeout(resolve, 100))
    const answer = await fetch(`${service.baseUrl}/healthz`, { headers: { connection: "close" } })
    assert.strictEqual(answer.status, 200)
    for (const raw of held) raw.socket.destroy()
  })
})

describe("webhook body bytes in flight", () => {
  let service: RunningService
  beforeAll(async () => {
    service = await serviceWith({
      RUN_INDEX_WEBHOOK_MAX_BYTES: "4096",
      RUN_INDEX_WEBHOOK_BYTES_IN_FLIGHT: "6144",
      RUN_INDEX_WEBHOOK_BYTES_WAIT: "200 millis",
    })
  })

  it("a body cut off by its sender is not a 413, and returns the bytes it reserved", async () => {
    const raw = open(service.port)
    await raw.connected
    raw.socket.write(`${headersOf(4_000)}${"x".repeat(2_000)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
    // While it holds 4000 of the 6144 bytes, another 4000-byte body cannot be received.
    const busy = await postUnsigned(service, 4_000)
    assert.strictEqual(busy.status, 503)
    assert.deepInclude(await busy.json(), { error: "busy" })
    assert.strictEqual(busy.headers.get("retry-after"), "1")
    raw.socket.end()
    await raw.closed
    assert.notMatch(raw.received(), / 413 /)
    // Its bytes are back: the same body is now read and refused for its signature.
    const answer = await postUnsigned(service, 4_000)
    assert.strictEqual(answer.status, 401)
  })

  it("only a body over RUN_INDEX_WEBHOOK_MAX_BYTES is a 413", async () => {
    assert.strictEqual((await postUnsigned(service, 4_097)).status, 413)
    assert.strictEqual((await postUnsigned(service, 4_096)).status, 401)
  })
})

describe("limit settings", () => {
  it.each([
    ["RUN_INDEX_MAX_CONNECTIONS", "0", "must be a positive number of connections"],
    ["RUN_INDEX_WEBHOOK_BYTES_IN_FLIGHT", "-1", "must be a positive number of bytes"],
    ["RUN_INDEX_HEADERS_TIMEOUT", "soon", 'must be a positive duration such as "10 seconds"'],
    ["RUN_INDEX_REQUEST_TIMEOUT", "0 seconds", 'must be a positive duration such as "30 seconds"'],
    ["RUN_INDEX_KEEP_ALIVE_TIMEOUT", "x", 'must be a positive duration such as "5 seconds"'],
    ["RUN_INDEX_WEBHOOK_BYTES_WAIT", "x", 'must be a positive duration such as "1 second"'],
  ])("%s=%s stops the start with an error naming it", async (name, value, message) => {
    const failure = await serviceWith({ [name]: value }).then(
      () => "",
      (error: unknown) => String(error),
    )
    assert.include(failure, name)
    assert.include(failure, message)
  })
})

describe("idle keep-alive connections", () => {
  it("are closed after RUN_INDEX_KEEP_ALIVE_TIMEOUT", async () => {
    const service = await serviceWith({ RUN_INDEX_KEEP_ALIVE_TIMEOUT: "300 millis" })
    const raw = open(service.port)
    await raw.connected
    raw.socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    while (!raw.received().includes("\r\n\r\n")) await new Promise((resolve) => setTimeout(resolve, 10))
    const answeredAt = performance.now()
    const closed = await Promise.race([
      raw.closed.then(() => performance.now() - answeredAt),
      new Promise<number>((resolve) => setTimeout(() => resolve(Number.POSITIVE_INFINITY), 4_000)),
    ])
    raw.socket.destroy()
    assert.match(raw.received(), /^HTTP\/1\.1 200/)
    // Node's default would keep it 5 s.
    assert.isBelow(closed, 2_000)
  })
})
