import { createServer } from "node:net"

/**
 * A loopback port free at this moment, for a service the bench starts in another process and must
 * reach by a port it chooses first (`npm start`, the built service).
 */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()))
    })
  })
