/** The CLI (`run-index`): its commands over the environment of src/app/Layers.ts. */
import { Effect, type Layer } from "effect"
import * as Cli from "../adapters/cli/Cli.js"
import * as Layers from "./Layers.js"

/** `run-index` with `argv` (as `process.argv`: node, the script, then the arguments) over `environment`. */
export const mainWith = <E>(argv: ReadonlyArray<string>, environment: Layer.Layer<Layers.Environment, E>) =>
  Cli.run(argv).pipe(Effect.provide(environment))

/**
 * `run-index` over the environment configuration describes, built only for a command that runs:
 * `--help`, `--version` and usage errors build no store and reach no GitHub (start-up, issue 16).
 * @effect/cli itself runs on the platform.
 */
export const main = (argv: ReadonlyArray<string>) =>
  Cli.runProviding(Layers.environment)(argv).pipe(Effect.provide(Layers.platform))
