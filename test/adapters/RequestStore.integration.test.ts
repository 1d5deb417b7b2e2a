import { Layer } from "effect"
import * as ObjectRequestStore from "../../src/adapters/ObjectRequestStore.js"
import { motoLayer } from "../support/s3.js"
import { requestStoreContract } from "./RequestStoreContract.js"

requestStoreContract("s3 on moto", () => ObjectRequestStore.layer.pipe(Layer.provideMerge(motoLayer())))
