import { HttpServer } from "@effect/platform"
import { ConfigProvider, Console, Context, Effect, Exit, Layer, Logger, LogLevel, Scope } from "effect"
import * as Service from "../../src/app/Service.js"

export interface RunningService {
  readonly port: number
  readonly baseUrl: string
  /** What the service printed (its console lines and warnings), for failure messages. */
  readonly output: () => string
  readonly stop: () => Promise<void>
}

/**
 * The service as `npm start` composes it (src/app/Service.ts), configured only by `env` (no process
 * environment), listening on port 0 — the OS picks a free one, read back from the server. It
 * resolves once the server listens.
 */
export const startService = async (env: Record<string, string>): Promise<RunningService> => {
  const lines: Array<string> = []
  const record = (...args: ReadonlyArray<unknown>) => Effect.sync(() => void lines.push(args.join(" ")))
  const console = Effect.runSync(Console.consoleWith(Effect.succeed))
  const scope = Effect.runSync(Scope.make())
  const stop = () => Effect.runPromise(Scope.close(scope, Exit.void))
  const built = await Effect.runPromiseExit(
    Layer.buildWithScope(Service.layer, scope).pipe(
      Effect.withConfigProvider(
        ConfigProvider.fromMap(new Map(Object.entries({ HOST: "127.0.0.1", PORT: "0", ...env }))),
      ),
      Effect.withConsole({ ...console, log: record, error: record }),
      Logger.withMinimumLogLevel(LogLevel.Warning),
    ),
  )
  if (Exit.isFailure(built)) {
    await stop()
    throw new Error(`the service did not start: ${String(built.cause)}\n${lines.join("\n")}`)
  }
  const address = Context.get(built.value, HttpServer.HttpServer).address
  if (address._tag !== "TcpAddress") throw new Error(`the service listens on ${address.path}, not TCP`)
  return {
    port: address.port,
    baseUrl: `http://127.0.0.1:${address.port}`,
    output: () => lines.join("\n"),
    stop,
  }
}
