import { Layer } from "effect"
import * as ObjectRequestStore from "../../src/adapters/ObjectRequestStore.js"
import * as ObjectRunIndexStore from "../../src/adapters/ObjectRunIndexStore.js"
import * as MemoryObjectStore from "../../src/adapters/objects/MemoryObjectStore.js"
import type { ObjectStore } from "../../src/adapters/objects/ObjectStore.js"
import { temporaryDirectoryLayer } from "../support/directory.js"
import { operationsSuite } from "./OperationsSuite.js"

const stores = (objects: Layer.Layer<ObjectStore, unknown>) =>
  Layer.merge(ObjectRunIndexStore.layer, ObjectRequestStore.layer).pipe(Layer.provideMerge(objects))

operationsSuite("memory", () => stores(MemoryObjectStore.layerMemory))
operationsSuite("directory", () => stores(temporaryDirectoryLayer()))
