import { createHash } from "node:crypto"
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

/**
 * One scripted answer. Without `body` and with an error `status`, the stub sends S3's XML error
 * body built from `code` and `message`.
 */
export interface S3StubResponse {
  readonly status: number
  /** The S3 error code, e.g. `SlowDown`, `ConditionalRequestConflict`, `AccessDenied`. */
  readonly code?: string
  readonly message?: string
  /** A raw body to send instead of an XML error, e.g. an object's content for a 200 GET. */
  readonly body?: string
  readonly etag?: string
  /**
   * Handle the request as the stub's own store would (so a PUT lands) and then answer with this
   * response instead: a write that succeeded but whose answer was lost.
   */
  readonly afterHandling?: boolean
}

/** A request the stub answered, with the status it answered. */
export interface S3StubRequest {
  readonly method: string
  readonly bucket: string
  readonly key: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
  readonly status: number
}

export interface S3StubOptions {
  /**
   * Answer every GET with this body (and a fixed etag) at once, without recording it: for
   * benchmarks of the read path. Other requests behave as usual.
   */
  readonly fixedGetBody?: string
}

export interface S3Stub {
  /** The endpoint to give the SDK, with `forcePathStyle`: `http://127.0.0.1:<port>`. */
  readonly url: string
  /** Answers for the next requests, in order, whatever they are; after them the stub's store answers. */
  readonly enqueue: (...responses: ReadonlyArray<S3StubResponse>) => void
  /** Every request answered so far, in arrival order (fixed-body GETs excepted). */
  readonly requests: ReadonlyArray<S3StubRequest>
  /** What the stub's store holds, by `<bucket>/<key>`. */
  readonly objects: ReadonlyMap<string, { readonly body: string; readonly etag: string }>
  readonly close: () => Promise<void>
}

const errorBody = (code: string, message: string, requestId: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`

const etagOf = (body: string) => `"${createHash("md5").update(body).digest("hex")}"`

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

/** `/<bucket>/<key>` as the SDK sends it path-style, each segment URI-encoded. */
const parsePath = (url: string): { readonly bucket: string; readonly key: string } => {
  const [bucket = "", ...key] = new URL(url, "http://stub").pathname.slice(1).split("/")
  return { bucket: decodeURIComponent(bucket), key: key.map(decodeURIComponent).join("/") }
}

/**
 * A loopback server that speaks just enough S3 (PutObject with If-None-Match / If-Match, GetObject,
 * DeleteObject; path-style) for the real SDK to talk to it, and answers scripted responses first:
 * the faults moto cannot produce (503 SlowDown, 409 ConditionalRequestConflict, a lost 500).
 */
export const startS3Stub = async (options: S3StubOptions = {}): Promise<S3Stub> => {
  const scripted: Array<S3StubResponse> = []
  const requests: Array<S3StubRequest> = []
  const objects = new Map<string, { readonly body: string; readonly etag: string }>()
  const fixedGet =
    options.fixedGetBody === undefined
      ? undefined
      : { body: options.fixedGetBody, etag: etagOf(options.fixedGetBody) }

  const send = (response: ServerResponse, answer: S3StubResponse, requestNumber: number) => {
    const headers: Record<string, string> = {}
    if (answer.etag !== undefined) headers.etag = answer.etag
    let body = answer.body
    if (body === undefined && answer.status >= 300) {
      headers["content-type"] = "application/xml"
      body = errorBody(
        answer.code ?? "InternalError",
        answer.message ?? "scripted by the S3 stub",
        `stub-${requestNumber}`,
      )
    }
    headers["content-length"] = String(Buffer.byteLength(body ?? ""))
    response.writeHead(answer.status, headers)
    response.end(body)
  }

  /** What S3 itself would answer, against the stub's store. */
  const handle = (
    method: string,
    location: string,
    headers: IncomingHttpHeaders,
    body: string,
  ): S3StubResponse => {
    const current = objects.get(location)
    switch (method) {
      case "GET":
        return current === undefined
          ? { status: 404, code: "NoSuchKey", message: "The specified key does not exist." }
          : { status: 200, body: current.body, etag: current.etag }
      case "PUT": {
        const ifMatch = headers["if-match"]
        if (ifMatch !== undefined && current === undefined) {
          return { status: 404, code: "NoSuchKey", message: "The specified key does not exist." }
        }
        if (
          (headers["if-none-match"] === "*" && current !== undefined) ||
          (ifMatch !== undefined && ifMatch !== current?.etag)
        ) {
          return {
            status: 412,
            code: "PreconditionFailed",
            message: "At least one of the pre-conditions you specified did not hold",
          }
        }
        const etag = etagOf(body)
        objects.set(location, { body, etag })
        return { status: 200, etag }
      }
      case "DELETE":
        objects.delete(location)
        return { status: 204 }
      default:
        return { status: 405, code: "MethodNotAllowed", message: `the S3 stub does not handle ${method}` }
    }
  }

  const server = createServer((request, response) => {
    const method = request.method ?? "GET"
    if (fixedGet !== undefined && method === "GET") {
      request.resume()
      send(response, { status: 200, ...fixedGet }, 0)
      return
    }
    readBody(request).then(
      (body) => {
        const { bucket, key } = parsePath(request.url ?? "/")
        const next = scripted.shift()
        const handleHere = () => handle(method, `${bucket}/${key}`, request.headers, body)
        if (next?.afterHandling === true) handleHere()
        const answer = next ?? handleHere()
        requests.push({ method, bucket, key, headers: request.headers, body, status: answer.status })
        send(response, answer, requests.length)
      },
      () => response.destroy(),
    )
  })

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    enqueue: (...responses) => {
      scripted.push(...responses)
    },
    requests,
    objects,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)))
        server.closeAllConnections()
      }),
  }
}
