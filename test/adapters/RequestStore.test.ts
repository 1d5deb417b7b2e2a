import { Layer } from "effect"
import * as ObjectRequestStore from "../../src/adapters/ObjectRequestStore.js"
import * as MemoryObjectStore from "../../src/adapters/objects/MemoryObjectStore.js"
import { temporaryDirectoryLayer } from "../support/directory.js"
import { requestStoreContract } from "./RequestStoreContract.js"

requestStoreContract("memory", () =>
  ObjectRequestStore.layer.pipe(Layer.provideMerge(MemoryObjectStore.layerMemory)),
)
requestStoreContract("directory", () =>
  ObjectRequestStore.layer.pipe(Layer.provideMerge(temporaryDirectoryLayer())),
)
