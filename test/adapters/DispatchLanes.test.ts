import * as MemoryObjectStore from "../../src/adapters/objects/MemoryObjectStore.js"
import { temporaryDirectoryLayer } from "../support/directory.js"
import { dispatchLanesContract } from "./DispatchLanesContract.js"

dispatchLanesContract("memory", () => MemoryObjectStore.layerMemory)
dispatchLanesContract("directory", temporaryDirectoryLayer)
