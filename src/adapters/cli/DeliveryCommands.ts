import { Command, Options } from "@effect/cli"
import { Console, Duration, Effect, Option, ParseResult, Schema, Stream } from "effect"
import { InstantFromIso } from "../../domain/Timestamp.js"
import { DeliveryId } from "../../domain/WorkflowRunPayload.js"
import { DeliveryLog } from "../../ports/DeliveryLog.js"
import { recoveringVariables, replayingVariables, storeVariables, withEnvironment } from "./Environment.js"
import { decodedArg, decodedOption, json } from "./Inputs.js"
import { ExitCode, exitWith, printJson } from "./Output.js"

/** Lists parked deliveries or dead letters, an unreadable object as such; says so when there are none. */
const listKept =
  (choose: (log: DeliveryLog["Type"]) => DeliveryLog["Type"]["parked"], none: string) =>
  (input: { readonly json: boolean }) =>
    Effect.gen(function* () {
      const log = yield* DeliveryLog
      let listed = 0
      yield* choose(log).pipe(
        Stream.tap(() => Effect.sync(() => (listed += 1))),
        Stream.runForEach((entry) => {
          if (entry._tag === "Unreadable") {
            return input.json
              ? printJson({
                  deliveryId: entry.deliveryId,
                  unreadable: true,
                  path: entry.path,
                  reason: entry.reason,
                })
              : Console.log(`${entry.deliveryId}  UNREADABLE  ${entry.path}  ${entry.reason}`)
          }
          return input.json
            ? printJson({
                deliveryId: entry.deliveryId,
                event: entry.headers["x-github-event"] ?? null,
                reason: entry.reason,
                parkedAt: entry.parkedAt,
                attempts: entry.attempts,
              })
            : Console.log(
                `${entry.deliveryId}  ${entry.parkedAt}  attempts ${entry.attempts}  ${entry.reason}`,
              )
        }),
      )
      // Scripts (--json) read one object per line: nothing parked is no line at all.
      if (listed === 0 && !input.json) yield* Console.error(none)
    })

const listParked = listKept((log) => log.parked, "no parked deliveries")

const listParkedDescription =
  "list webhook deliveries that could not be processed, and parked objects that cannot be read (UNREADABLE, with path and reason; --json: one object per line)"
const parkedList = Command.make("ls", { json }, listParked).pipe(
  Command.withDescription(withEnvironment(storeVariables, listParkedDescription)),
)
const parked = Command.make("parked", { json }, listParked).pipe(
  Command.withDescription(withEnvironment(storeVariables, `${listParkedDescription}; the same as ls`)),
)

const dead = Command.make(
  "dead",
  { json },
  listKept((log) => log.deadLetters, "no dead letters"),
).pipe(
  Command.withDescription(
    withEnvironment(
      storeVariables,
      "list dead letters: deliveries that can never succeed as they are (an invalid request document), kept whole and answered 2xx; repair the cause, then send them again (--json: one object per line)",
    ),
  ),
)

const replay = Command.make(
  "replay",
  {
    json,
    id: decodedOption("id", DeliveryId).pipe(
      Options.optional,
      Options.withDescription("replay only this delivery (its X-GitHub-Delivery id)"),
    ),
  },
  (input) =>
    Effect.gen(function* () {
      const deliveryId = Option.getOrUndefined(input.id)
      const { replayParked } = yield* Effect.promise(() => import("../../programs/Replay.js"))
      const result = yield* replayParked(deliveryId === undefined ? {} : { deliveryId })
      yield* input.json
        ? printJson(result)
        : Console.log(
            `replayed ${result.replayed}; still parked ${result.stillParked}${result.unreadable > 0 ? `; unreadable ${result.unreadable} (left in place: deliveries ls shows them, deliveries drop removes one)` : ""}`,
          )
      if (deliveryId !== undefined && result.replayed + result.stillParked + result.unreadable === 0) {
        yield* Console.error(`run-index: no parked delivery ${deliveryId}`)
        return yield* exitWith(ExitCode.NotFound)
      }
      if (result.stillParked + result.unreadable > 0) return yield* exitWith(ExitCode.Failure)
    }),
).pipe(
  Command.withDescription(
    withEnvironment(
      replayingVariables,
      "process parked deliveries again (all, or --id one); exit 1 while any stays parked or unreadable, 3 when --id is not parked",
    ),
  ),
)

const drop = Command.make("drop", { id: decodedArg("deliveryId", DeliveryId) }, (input) =>
  Effect.gen(function* () {
    const log = yield* DeliveryLog
    const found = yield* log.parked.pipe(
      Stream.filter((entry) => entry.deliveryId === input.id),
      Stream.runHead,
    )
    if (Option.isNone(found)) {
      yield* Console.error(`run-index: no parked delivery ${input.id}`)
      return yield* exitWith(ExitCode.NotFound)
    }
    yield* log.unpark(input.id)
    yield* Console.log(
      `dropped ${input.id}${found.value._tag === "Unreadable" ? ` (unreadable: ${found.value.reason})` : ""}`,
    )
  }),
).pipe(
  Command.withDescription(
    withEnvironment(
      storeVariables,
      "remove one parked delivery or unreadable parked object without replaying it (exit 3 when there is none)",
    ),
  ),
)

/** `--since`: an ISO time, or a duration back from now (`6 hours`). */
const SinceFromString = Schema.Union(
  InstantFromIso,
  Schema.transformOrFail(Schema.String, Schema.Number, {
    strict: true,
    decode: (text, _, ast) =>
      Option.match(Duration.decodeUnknown(text.trim()), {
        onNone: () =>
          ParseResult.fail(
            new ParseResult.Type(ast, text, "must be an ISO-8601 time or a duration such as 6 hours"),
          ),
        onSome: (ago) => ParseResult.succeed(Date.now() - Duration.toMillis(ago)),
      }),
    encode: (millis) => ParseResult.succeed(new Date(millis).toISOString()),
  }),
)

const recover = Command.make(
  "recover",
  {
    since: decodedOption("since", SinceFromString).pipe(
      Options.withDefault(Date.now() - Duration.toMillis(Duration.hours(1))),
      Options.withDescription(
        "deliveries first sent since this time: ISO-8601 (2026-12-01T09:00:00Z) or a duration back from now (6 hours); default 1 hour",
      ),
    ),
    json,
  },
  (input) =>
    Effect.gen(function* () {
      const { recoverDeliveries } = yield* Effect.promise(() => import("../../programs/Recover.js"))
      const report = yield* recoverDeliveries({ since: input.since }).pipe(
        Effect.catchTag("GatewayError", (error) =>
          Console.error(`run-index: ${error.message}`).pipe(
            Effect.zipRight(exitWith(error.reason === "NotConfigured" ? ExitCode.Usage : ExitCode.Failure)),
          ),
        ),
      )
      yield* input.json
        ? printJson(report)
        : Console.log(
            `since ${new Date(input.since).toISOString()}: ${report.listed} delivery attempts listed, ${report.failed} deliveries failed, ${report.alreadyProcessed} of them processed since, ${report.redelivered} redelivered, ${report.refused.length} refused`,
          )
      for (const refusal of report.refused)
        if (!input.json) yield* Console.error(`REFUSED ${refusal.guid}: ${refusal.detail}`)
      if (report.refused.length > 0) return yield* exitWith(ExitCode.Failure)
    }),
).pipe(
  Command.withDescription(
    withEnvironment(
      recoveringVariables,
      "ask GitHub which deliveries of RUN_INDEX_GITHUB_HOOK failed since --since and have them redelivered (exit 1 when GitHub refused some, 2 when not configured)",
    ),
  ),
)

/** `deliveries`: parked deliveries, dead letters, and failed deliveries recovered from GitHub. */
export const deliveriesCommand = Command.make("deliveries").pipe(
  Command.withDescription("parked webhook deliveries, and failed ones recovered from GitHub"),
  Command.withSubcommands([parkedList, parked, dead, replay, drop, recover]),
)
