/** The library's Promise facade over the store its options name, on Node's file system. */
import { Layer, Option } from "effect"
import * as PromiseFacade from "../adapters/PromiseFacade.js"
import * as Settings from "../adapters/Settings.js"
import * as Layers from "./Layers.js"
import * as Stores from "./Stores.js"

/** The run index for hosts that do not use Effect: Promises in, Promises out. */
export const createRunIndex = (options: PromiseFacade.RunIndexOptions = {}): PromiseFacade.RunIndex =>
  PromiseFacade.make(options, (choice) =>
    Stores.objectStoreLayer({
      ...choice,
      dataDirectory: Option.getOrElse(choice.dataDirectory, () => Settings.defaultDataDirectory),
    }).pipe(Layer.provide(Layers.platform)),
  )
