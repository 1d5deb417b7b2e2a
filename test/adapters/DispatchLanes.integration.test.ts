import { motoLayer } from "../support/s3.js"
import { dispatchLanesContract } from "./DispatchLanesContract.js"

dispatchLanesContract("s3 on moto", motoLayer)
