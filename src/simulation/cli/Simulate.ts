import { dirname, resolve } from "node:path"
import { Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import { Console, Effect, Layer, Option } from "effect"
import { ExitCode, exitWith, printJson } from "../../adapters/cli/Output.js"
import * as DirectoryObjectStore from "../../adapters/objects/DirectoryObjectStore.js"
import * as MemoryObjectStore from "../../adapters/objects/MemoryObjectStore.js"
import { ObjectStore } from "../../adapters/objects/ObjectStore.js"
import * as Stores from "../../app/Stores.js"
import {
  faultLevels,
  type SimulationSettings,
  type StoreKind,
  simulationModes,
  storeKinds,
  strategies,
} from "../domain/SimulationReport.js"

const positive = (name: string, fallback: number) =>
  Options.integer(name).pipe(
    Options.withDefault(fallback),
    Options.mapEffect((value) =>
      value >= 1
        ? Effect.succeed(value)
        : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--${name} ${value}: must be at least 1`))),
    ),
  )

const probability = (name: string) =>
  Options.float(name).pipe(
    Options.withDefault(0),
    Options.mapEffect((value) =>
      value >= 0 && value <= 1
        ? Effect.succeed(value)
        : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--${name} ${value}: must be from 0 to 1`))),
    ),
  )

/** A fresh temporary directory for `--store directory`, removed when the command ends. */
const temporaryDirectory = Effect.acquireRelease(
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectory({ prefix: "run-index-simulate-" })),
  (directory) =>
    Effect.flatMap(FileSystem.FileSystem, (fs) => fs.remove(directory, { recursive: true })).pipe(
      Effect.ignore,
    ),
)

/**
 * The object store to simulate on. S3 is the deployment's bucket (`TFPILOT_REQUESTS_BUCKET`, the
 * usual endpoint and region), under a prefix of the simulation's own, so no real request is touched.
 */
const objectsFor = (store: StoreKind, seed: number) =>
  Effect.gen(function* () {
    // The simulation runs in a runtime of its own: it gets the file system the CLI runs on.
    const platform = Layer.succeedContext(yield* Effect.context<FileSystem.FileSystem | Path.Path>())
    switch (store) {
      case "memory":
        return MemoryObjectStore.layerMemory
      case "directory": {
        const directory = yield* temporaryDirectory
        return DirectoryObjectStore.layer(directory).pipe(Layer.provide(platform))
      }
      case "s3": {
        const choice = yield* Stores.storeChoice
        if (Option.isNone(choice.bucket)) {
          yield* Console.error(
            "simulate --store s3: set TFPILOT_REQUESTS_BUCKET to the bucket to simulate in",
          )
          return yield* exitWith(ExitCode.Usage)
        }
        const { prefixed } = yield* Effect.promise(() => import("../adapters/SimulatedObjectStore.js"))
        const prefix = `simulations/seed-${seed}-${Date.now()}/`
        yield* Console.error(`simulating in s3://${choice.bucket.value}/${prefix} (left in place)`)
        return Layer.effect(
          ObjectStore,
          Effect.map(ObjectStore, (objects) => prefixed(objects, prefix)),
        ).pipe(Layer.provide(Stores.objectStoreLayer(choice)), Layer.provide(platform))
      }
    }
  })

/** `simulating 1,000 requests: 340 dispatches done, 1,234 deliveries` on an interactive stderr, 10 times a second at most. */
const simulationProgress = (requests: number) => {
  const interactive = process.stderr.isTTY === true
  let shownAt = 0
  return {
    update: (dispatched: number, delivered: number) => {
      const now = Date.now()
      if (!interactive || now - shownAt < 100) return
      shownAt = now
      process.stderr.write(
        `\r\x1b[Ksimulating ${requests.toLocaleString("en")} requests: ${dispatched.toLocaleString("en")} dispatches done, ${delivered.toLocaleString("en")} deliveries`,
      )
    },
    done: () => {
      if (interactive) process.stderr.write("\r\x1b[K")
    },
  }
}

/** `--report`'s folder must exist and be writable before a run of minutes, not after it. */
const checkWritable = (file: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const folder = dirname(resolve(file))
    const problem = yield* fs.stat(folder).pipe(
      Effect.flatMap((info) =>
        info.type !== "Directory"
          ? Effect.succeed(Option.some(`${folder} is not a directory`))
          : fs.access(folder, { writable: true }).pipe(
              Effect.as(Option.none<string>()),
              Effect.orElseSucceed(() => Option.some(`the directory ${folder} is not writable`)),
            ),
      ),
      Effect.orElseSucceed(() => Option.some(`the directory ${folder} does not exist`)),
    )
    if (Option.isNone(problem)) return
    yield* Console.error(`simulate --report ${JSON.stringify(file)}: ${problem.value}; nothing was run`)
    return yield* exitWith(ExitCode.Usage)
  })

export const simulate = Command.make(
  "simulate",
  {
    requests: positive("requests", 1000).pipe(Options.withDescription("requests to dispatch (default 1000)")),
    concurrency: positive("concurrency", 32).pipe(
      Options.withDescription("dispatches in flight at once (default 32)"),
    ),
    seed: Options.integer("seed").pipe(
      Options.withDefault(1),
      Options.withDescription(
        "every random choice derives from it; the same seed gives the same report (default 1)",
      ),
    ),
    mode: Options.choice("mode", simulationModes).pipe(
      Options.withDefault("run-details" as const),
      Options.withDescription(
        "how GitHub answers a dispatch: run-details (the run id at once), no-run-details (204), ghes (400 to run details, then 204)",
      ),
    ),
    token: Options.boolean("token").pipe(
      Options.withDescription(
        "workflows render the request id in run-name and dispatches require it (the default)",
      ),
    ),
    noToken: Options.boolean("no-token").pipe(
      Options.withDescription("no correlation token: runs are titled with the workflow's name only"),
    ),
    faults: Options.choice("faults", faultLevels).pipe(
      Options.withDefault("light" as const),
      Options.withDescription(
        "none; light (1% store and 2% GitHub failures); heavy (5%, rate limits, lost dispatch answers, webhook-side store outages, later and more duplicated deliveries)",
      ),
    ),
    strategy: Options.choice("strategy", strategies).pipe(
      Options.withDefault("claim" as const),
      Options.withDescription(
        "claim (the service's algorithm) or check-then-put (the earlier algorithm, a BASELINE for comparison only)",
      ),
    ),
    store: Options.choice("store", storeKinds).pipe(
      Options.withDefault("memory" as const),
      Options.withDescription(
        "memory; directory (a temporary one); s3 (TFPILOT_REQUESTS_BUCKET, under simulations/<seed>-<time>/)",
      ),
    ),
    instances: positive("instances", 1).pipe(
      Options.withDescription(
        "dispatcher-and-webhook instances, each with its own in-process state, on the one store; dispatches and deliveries are spread over them (default 1)",
      ),
    ),
    lanes: Options.choice("lanes", ["on", "off"] as const).pipe(
      Options.withDefault("on" as const),
      Options.withDescription(
        "on: dispatches that cannot be told their run hold a dispatch lane; off: an ABLATION with lanes that never wait, to show what lanes buy (default on)",
      ),
    ),
    foreignDispatches: probability("foreign-dispatches").pipe(
      Options.withDescription(
        "the chance per burst that someone else dispatches the workflow with our identity, without lanes: the ambiguity nothing on our side resolves without run details or a token (default 0)",
      ),
    ),
    report: Options.text("report").pipe(
      Options.optional,
      Options.withDescription("also write a self-contained HTML report with charts to this file"),
    ),
    json: Options.boolean("json").pipe(Options.withDescription("print the report as JSON")),
  },
  (input) =>
    Effect.gen(function* () {
      if (input.token && input.noToken) {
        yield* Console.error("simulate: give at most one of --token and --no-token")
        return yield* exitWith(ExitCode.Usage)
      }
      const settings: SimulationSettings = {
        requests: input.requests,
        concurrency: input.concurrency,
        seed: input.seed,
        mode: input.mode,
        token: !input.noToken,
        faults: input.faults,
        strategy: input.strategy,
        store: input.store,
        instances: input.instances,
        lanes: input.lanes === "on",
        foreignDispatches: input.foreignDispatches,
      }
      if (Option.isSome(input.report)) yield* checkWritable(input.report.value)
      // The simulation engine is loaded only by this command: the rest of the CLI starts without it.
      const [{ runSimulation }, { renderHtml }, { renderSummary }] = yield* Effect.promise(() =>
        Promise.all([
          import("../run/Simulation.js"),
          import("../report/SimulationHtml.js"),
          import("../report/SimulationSummary.js"),
        ]),
      )
      const objects = yield* objectsFor(input.store, input.seed)
      const progress = simulationProgress(settings.requests)
      const report = yield* Effect.tryPromise({
        try: () => runSimulation(settings, objects, progress.update),
        catch: (error) => (error instanceof Error ? error : new Error(String(error))),
      }).pipe(Effect.ensuring(Effect.sync(progress.done)))
      if (Option.isSome(input.report)) {
        const fs = yield* FileSystem.FileSystem
        yield* fs.writeFileString(input.report.value, renderHtml(report))
        yield* Console.error(`report written to ${input.report.value}`)
      }
      yield* input.json ? printJson(report) : Console.log(renderSummary(report))
      if (!report.passed) return yield* exitWith(ExitCode.Failure)
    }).pipe(Effect.scoped),
).pipe(
  Command.withDescription(
    "dispatch many requests through the real programs against a simulated GitHub, deliver every webhook (late, twice, out of order, with faults), then check the invariants against GitHub's record of which dispatch created which run (exit 1 when one is violated)",
  ),
)
