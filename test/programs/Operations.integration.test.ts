import { Layer } from "effect"
import * as ObjectRequestStore from "../../src/adapters/ObjectRequestStore.js"
import * as ObjectRunIndexStore from "../../src/adapters/ObjectRunIndexStore.js"
import { motoLayer } from "../support/s3.js"
import { operationsSuite } from "./OperationsSuite.js"

operationsSuite("s3 on moto", () =>
  Layer.merge(ObjectRunIndexStore.layer, ObjectRequestStore.layer).pipe(Layer.provideMerge(motoLayer())),
)
