import { Layer } from "effect"
import * as ObjectRunIndexStore from "../../src/adapters/ObjectRunIndexStore.js"
import { temporaryDirectoryLayer } from "../support/directory.js"
import { runIndexStoreContract } from "./RunIndexStoreContract.js"

runIndexStoreContract("directory", (paging) =>
  ObjectRunIndexStore.layer.pipe(Layer.provideMerge(temporaryDirectoryLayer(paging))),
)
