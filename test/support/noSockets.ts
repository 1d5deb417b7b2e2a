/**
 * Set up for the unit tier only: a test there that listens on or connects to a socket fails at once,
 * saying where it belongs, instead of making the fast tier slow (or, for moto, failing later and less
 * clearly). Undone after each file: without isolation a worker may run other files next.
 */
import { Server, Socket } from "node:net"
import { afterAll, beforeAll } from "vitest"

const refuse = (what: string) => {
  throw new Error(
    `${what} in the unit tier: a test that needs a socket (a server, moto, HTTP to a stand-in) goes in a file named *.integration.test.ts (or under test/adapters/http/ or test/adapters/cli/)`,
  )
}

const listen = Server.prototype.listen
const connect = Socket.prototype.connect

beforeAll(() => {
  Server.prototype.listen = function refuseListen() {
    return refuse("a server listening")
  }
  Socket.prototype.connect = function refuseConnect() {
    return refuse("a socket connecting")
  }
})

afterAll(() => {
  Server.prototype.listen = listen
  Socket.prototype.connect = connect
})
