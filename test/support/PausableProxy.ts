import { connect, createServer, type Socket } from "node:net"

export interface PausableProxy {
  /** `http://127.0.0.1:<port>`: give it to the client in place of the target. */
  readonly url: string
  /** From now on nothing passes either way: connections are accepted and held, bytes are not forwarded. */
  readonly pause: () => void
  /** Everything held flows again; held connections are connected to the target. */
  readonly resume: () => void
  readonly close: () => Promise<void>
}

/**
 * A loopback TCP proxy to `target` (`http://host:port`) that can stop answering without refusing:
 * the outage a client only sees as silence, so its own timeouts are what end its calls.
 */
export const startPausableProxy = async (target: string): Promise<PausableProxy> => {
  const { hostname, port } = new URL(target)
  let paused = false
  const sockets = new Set<Socket>()
  const held: Array<() => void> = []

  const pipe = (client: Socket) => {
    const upstream = connect(Number(port), hostname)
    sockets.add(upstream)
    upstream.on("close", () => sockets.delete(upstream))
    upstream.on("error", () => client.destroy())
    client.on("error", () => upstream.destroy())
    client.on("close", () => upstream.destroy())
    upstream.on("close", () => client.destroy())
    client.pipe(upstream)
    upstream.pipe(client)
    client.resume()
  }

  const server = createServer((client) => {
    sockets.add(client)
    client.on("close", () => sockets.delete(client))
    if (paused) {
      client.pause()
      client.on("error", () => undefined)
      held.push(() => {
        if (!client.destroyed) pipe(client)
      })
      return
    }
    pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const listening = typeof address === "object" && address !== null ? address.port : 0

  return {
    url: `http://127.0.0.1:${listening}`,
    pause: () => {
      paused = true
      for (const socket of sockets) socket.pause()
    },
    resume: () => {
      paused = false
      for (const socket of sockets) socket.resume()
      for (const connectHeld of held.splice(0)) connectHeld()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
