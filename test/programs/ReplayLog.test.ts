import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Logger, LogLevel, Stream, TestClock } from "effect"
import { DeliveryLog } from "../../src/ports/DeliveryLog.js"
import { StoreError } from "../../src/ports/StoreError.js"
import { replayContinually } from "../../src/programs/Webhooks.js"
import { world } from "../support/world.js"

/** Every line logged, as the service writes it to stderr (its JSON logger). */
const capturedLines = (lines: Array<string>) =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.make((options) => {
      lines.push(Logger.jsonLogger.log(options))
    }),
  )

describe("replay's log", () => {
  it.effect("a pass that fails for a store outage is one info line with its reason, no stack trace", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const log = yield* DeliveryLog
      const unreachable = new StoreError({
        reason: "Unavailable",
        operation: "list",
        detail: "connect ECONNREFUSED 127.0.0.1:9000",
      })
      const fiber = yield* Effect.fork(
        replayContinually("1 minute").pipe(
          Effect.provideService(DeliveryLog, { ...log, parked: Stream.fail(unreachable) }),
          Effect.provide(capturedLines(lines)),
          Logger.withMinimumLogLevel(LogLevel.Info),
        ),
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)

      const failures = lines.filter((line) => line.includes("replay pass failed"))
      assert.strictEqual(failures.length, 1, lines.join("\n"))
      const [line] = failures
      const entry = JSON.parse(line ?? "{}") as {
        logLevel: string
        annotations: Record<string, unknown>
        cause?: string
      }
      assert.strictEqual(entry.logLevel, "INFO")
      assert.deepInclude(entry.annotations, {
        reason: "Unavailable",
        detail: `store list failed (Unavailable): ${unreachable.detail}`,
      })
      assert.isUndefined(entry.cause, "no cause, so no stack trace")
      assert.notMatch(line ?? "", /\bat .+:\d+:\d+/, "no stack frame anywhere in the line")
    }).pipe(Effect.provide(world())),
  )
})
