import { createServer } from "node:net"
import { setTimeout as delay } from "node:timers/promises"
import { NodeContext } from "@effect/platform-node"
import { ConfigProvider, Console, Effect, Fiber, Layer, Logger, LogLevel } from "effect"
import * as GatewayFromEnvironment from "../../src/adapters/github/GatewayFromEnvironment.js"
import * as Server from "../../src/adapters/http/Server.js"
import * as Stores from "../../src/adapters/Stores.js"

export interface RunningService {
  readonly port: number
  readonly baseUrl: string
  /** What the service printed (its console lines and warnings), for failure messages. */
  readonly output: () => string
  readonly stop: () => Promise<void>
}

/** A loopback port nothing listens on right now. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()))
    })
  })

/**
 * The service as `npm start` composes it (src/main.ts), configured only by `env` (no process
 * environment), listening on a free loopback port; resolves once `/healthz` answers.
 */
export const startService = async (env: Record<string, string>): Promise<RunningService> => {
  const port = await freePort()
  const lines: Array<string> = []
  const record = (...args: ReadonlyArray<unknown>) => Effect.sync(() => void lines.push(args.join(" ")))
  const console = Effect.runSync(Console.consoleWith(Effect.succeed))
  const fiber = Effect.runFork(
    Layer.launch(Server.layer).pipe(
      Effect.provide(Stores.fromEnvironment),
      Effect.provide(GatewayFromEnvironment.layer),
      Effect.provide(NodeContext.layer),
      Effect.withConfigProvider(
        ConfigProvider.fromMap(new Map(Object.entries({ HOST: "127.0.0.1", PORT: String(port), ...env }))),
      ),
      Effect.withConsole({ ...console, log: record, error: record }),
      Logger.withMinimumLogLevel(LogLevel.Warning),
    ),
  )
  const stop = () => Effect.runPromise(Fiber.interrupt(fiber)).then(() => undefined)
  const baseUrl = `http://127.0.0.1:${port}`
  for (let tries = 0; tries < 150; tries++) {
    const exited = fiber.unsafePoll()
    if (exited !== null) throw new Error(`the service stopped: ${String(exited)}\n${lines.join("\n")}`)
    const healthy = await fetch(`${baseUrl}/healthz`).then(
      (response) => response.ok,
      () => false,
    )
    if (healthy) return { port, baseUrl, output: () => lines.join("\n"), stop }
    await delay(100)
  }
  await stop()
  throw new Error(`the service did not answer /healthz within 15 s:\n${lines.join("\n")}`)
}
