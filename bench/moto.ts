import type { TestProject } from "vitest/node"
import startMotoForTests from "../test/support/motoGlobalSetup.js"

export interface MotoServer {
  readonly url: string
  readonly stop: () => Promise<void>
}

/**
 * moto server on a free loopback port, started by the test suite's own global setup (which checks
 * that `python3` can import moto and says how to install it if not). That setup only ever calls
 * `project.provide("motoEndpoint", url)`, so a project that records the URL is all it needs.
 */
export const startMoto = async (): Promise<MotoServer> => {
  let url: string | undefined
  const recorder: Pick<TestProject, "provide"> = {
    provide: (key, value) => {
      if (key === "motoEndpoint") url = value
    },
  }
  let stop: () => Promise<void>
  try {
    stop = await startMotoForTests(recorder as TestProject)
  } catch (error) {
    throw new Error(
      `the S3 benchmarks need moto server: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  if (url === undefined) {
    await stop()
    throw new Error("moto started but its global setup did not report an endpoint")
  }
  return { url, stop }
}

/** moto for the duration of `use`, stopped however `use` ends. */
export const withMoto = async <A>(use: (moto: MotoServer) => Promise<A>): Promise<A> => {
  const moto = await startMoto()
  try {
    return await use(moto)
  } finally {
    await moto.stop()
  }
}
