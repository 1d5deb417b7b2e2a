import type { S3Client } from "@aws-sdk/client-s3"

/** What an S3 client sent, counted at the SDK boundary: each command once, however often the SDK retried it. */
export interface S3Calls {
  /** Commands in the order they were sent, by name (`ListObjectsV2Command`, …). */
  readonly sent: Array<string>
  readonly count: (command: string) => number
  /** `MaxKeys` of every ListObjectsV2 call. */
  readonly listPageSizes: Array<number | undefined>
  /** The most GetObject calls that were in flight at once. */
  readonly maxGetsInFlight: () => number
}

/** Counts the commands `client` sends from now on, through a middleware at its `initialize` step. */
export const countS3Calls = (client: S3Client): S3Calls => {
  const sent: Array<string> = []
  const listPageSizes: Array<number | undefined> = []
  let getsInFlight = 0
  let maxGetsInFlight = 0
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? "unknown"
      sent.push(command)
      if (command === "ListObjectsV2Command") {
        listPageSizes.push((args.input as { MaxKeys?: number }).MaxKeys)
      }
      if (command !== "GetObjectCommand") return next(args)
      getsInFlight += 1
      maxGetsInFlight = Math.max(maxGetsInFlight, getsInFlight)
      try {
        return await next(args)
      } finally {
        getsInFlight -= 1
      }
    },
    { step: "initialize", name: "countS3Calls" },
  )
  return {
    sent,
    count: (command) => sent.filter((each) => each === command).length,
    listPageSizes,
    maxGetsInFlight: () => maxGetsInFlight,
  }
}
