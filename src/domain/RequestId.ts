import { Schema } from "effect"

/** A request id such as `req_dev_ec2_abc`; the pattern keeps every id inside its key or path. */
export const RequestId = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, {
    message: () => "must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$",
  }),
  Schema.brand("RequestId"),
).annotations({ identifier: "RequestId" })
export type RequestId = typeof RequestId.Type
