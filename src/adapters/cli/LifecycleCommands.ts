import { Command, Options } from "@effect/cli"
import { Console, Effect, Option, Schema } from "effect"
import {
  defaultLifecycleDays,
  isRunIndexRule,
  LifecycleDays,
  lifecycleRuleId,
} from "../../domain/LifecycleRule.js"
import { runIndexPrefix } from "../../domain/RunIndexKey.js"
import { BucketLifecycle } from "../../ports/BucketLifecycle.js"
import { storeVariables, withEnvironment } from "./Environment.js"
import { decodedOption, json } from "./Inputs.js"
import { ExitCode, exitWith, printJson } from "./Output.js"

/** The programs, loaded when a lifecycle command runs. */
const lifecycle = () => import("../../programs/Lifecycle.js")

const lifecycleShow = Command.make("show", { json }, (input) =>
  Effect.gen(function* () {
    const { showLifecycle } = yield* Effect.promise(lifecycle)
    const view = yield* showLifecycle()
    const { configurationAsStored, ruleAsStored } = yield* BucketLifecycle
    if (view._tag === "NotSupported") {
      return yield* input.json
        ? printJson({ status: "not-supported", store: view.store })
        : Console.log(`${notSupported(view.store)}`)
    }
    const rules = Option.match(view.configuration, {
      onNone: () => [],
      onSome: (configuration) => configuration.rules,
    })
    if (input.json) {
      return yield* printJson({
        status: Option.isSome(view.rule) ? "present" : "absent",
        store: view.location,
        runIndexRule: Option.getOrNull(Option.map(view.rule, ruleAsStored)),
        configuration: Option.getOrNull(Option.map(view.configuration, configurationAsStored)),
      })
    }
    yield* Console.log(
      Option.isNone(view.configuration)
        ? `${view.location} has no lifecycle configuration`
        : `${view.location} has ${rules.length} lifecycle rules`,
    )
    yield* Option.match(view.rule, {
      onNone: () =>
        Console.log(
          `no ${lifecycleRuleId} rule: index entries are never deleted; add it with run-index lifecycle apply`,
        ),
      onSome: (rule) => Console.log(`run index rule: ${JSON.stringify(ruleAsStored(rule))}`),
    })
    for (const rule of rules.filter((each) => !isRunIndexRule(each))) {
      yield* Console.log(`other rule:     ${JSON.stringify(ruleAsStored(rule))}`)
    }
  }),
).pipe(
  Command.withDescription(
    withEnvironment(storeVariables, "show the bucket's lifecycle configuration and the run index rule in it"),
  ),
)

const notSupported = (store: string) =>
  `lifecycle rules do not apply to ${store}; delete expired entries with run-index sweep (e.g. daily from cron)`

const lifecycleApply = Command.make(
  "apply",
  {
    days: decodedOption("days", Schema.compose(Schema.NumberFromString, LifecycleDays)).pipe(
      Options.withDefault(defaultLifecycleDays),
      Options.withDescription(
        `expire entries this many days after they were written (default ${defaultLifecycleDays}: a little longer than the retention)`,
      ),
    ),
    dryRun: Options.boolean("dry-run").pipe(
      Options.withDescription("print the configuration that would be written, write nothing"),
    ),
    json,
  },
  (input) =>
    Effect.gen(function* () {
      const { applyLifecycle } = yield* Effect.promise(lifecycle)
      const applied = yield* applyLifecycle({ days: input.days, dryRun: input.dryRun })
      const { configurationAsStored } = yield* BucketLifecycle
      if (applied._tag === "NotSupported") {
        yield* input.json
          ? printJson({ status: "not-supported", store: applied.store })
          : Console.error(notSupported(applied.store))
        return yield* exitWith(ExitCode.Failure)
      }
      const warnings = [
        ...(applied.overlapping.length === 0
          ? []
          : [
              `other enabled rules also expire ${runIndexPrefix}: ${applied.overlapping.join(", ")} (S3 applies the earliest)`,
            ]),
        ...(applied.shorterThanRetention
          ? [
              `${input.days} days is shorter than the retention: entries would be deleted before their expiresAt`,
            ]
          : []),
      ]
      if (input.json) {
        return yield* printJson({
          status: applied.change,
          store: applied.location,
          written: applied.written,
          dryRun: input.dryRun,
          configuration: configurationAsStored(applied.configuration),
          warnings,
        })
      }
      const kept = applied.configuration.rules.length - 1
      const summary =
        applied.change === "unchanged"
          ? `the ${lifecycleRuleId} rule is already up to date (${input.days} days); nothing written`
          : `${input.dryRun ? "would have " : ""}${applied.change} the ${lifecycleRuleId} rule: expire ${runIndexPrefix} after ${input.days} days; ${kept} other rules kept as they were`
      yield* Console.log(`${applied.location}: ${summary}`)
      for (const warning of warnings) yield* Console.error(`warning: ${warning}`)
      if (input.dryRun && applied.change !== "unchanged") {
        yield* Console.log("configuration that would be written:")
        yield* Console.log(JSON.stringify(configurationAsStored(applied.configuration), null, 2))
      }
    }),
).pipe(
  Command.withDescription(
    withEnvironment(
      storeVariables,
      "add or update the rule that expires index entries, merged into the bucket's lifecycle configuration (other rules kept)",
    ),
  ),
)

/** `lifecycle show` and `lifecycle apply`. */
export const lifecycleCommand = Command.make("lifecycle").pipe(
  Command.withDescription("the bucket lifecycle rule that deletes old index entries"),
  Command.withSubcommands([lifecycleShow, lifecycleApply]),
)
