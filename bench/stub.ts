import { fileURLToPath } from "node:url"
import { startS3Stub } from "../test/support/S3Stub.js"
import { startChildServer } from "./childServer.js"

export interface RunningStub {
  readonly url: string
  /** Where the stub runs: its own process (the default) or this one. */
  readonly placement: StubPlacement
  readonly stop: () => Promise<void>
}

export type StubPlacement = "child process" | "in process"

const stubServerFile = fileURLToPath(new URL("./stubServer.ts", import.meta.url))

/**
 * The S3 stub answering every GET with `body`. In a child process by default: in this process it
 * would spend the benchmark's own event loop on parsing requests and writing answers, which hides
 * the client-side cost the comparison is after.
 */
export const startFixedBodyStub = async (body: string, placement: StubPlacement): Promise<RunningStub> => {
  if (placement === "in process") {
    const stub = await startS3Stub({ fixedGetBody: body })
    return { url: stub.url, placement, stop: stub.close }
  }
  const child = await startChildServer(stubServerFile, [body])
  return { url: child.url, placement, stop: child.stop }
}
