/**
 * The test suite's S3 stub in its fixed-GET-body mode, in a process of its own so that serving
 * requests does not share the benchmark's event loop. Prints its URL as one line on stdout and
 * runs until stdin closes (the parent exited or closed it).
 */
import { startS3Stub } from "../test/support/S3Stub.js"

const fixedGetBody = process.argv[2]
if (fixedGetBody === undefined) throw new Error("usage: stubServer.ts <body every GET answers with>")

const stub = await startS3Stub({ fixedGetBody })
process.stdout.write(`${stub.url}\n`)
process.stdin.resume()
process.stdin.on("end", () => {
  stub.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
})
