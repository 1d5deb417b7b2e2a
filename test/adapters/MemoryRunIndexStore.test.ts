import { Layer } from "effect"
import * as ObjectRunIndexStore from "../../src/adapters/ObjectRunIndexStore.js"
import * as MemoryObjectStore from "../../src/adapters/objects/MemoryObjectStore.js"
import { runIndexStoreContract } from "./RunIndexStoreContract.js"

runIndexStoreContract("memory", (paging) =>
  ObjectRunIndexStore.layer.pipe(Layer.provideMerge(MemoryObjectStore.layerMemoryWith(paging))),
)
