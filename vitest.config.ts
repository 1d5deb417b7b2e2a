import { defineConfig } from "vitest/config"

/**
 * Two tiers, chosen by where a test file is and how it is named, so a new file lands in one without
 * editing this file. Integration: the driving edges (`test/adapters/cli/`, `test/adapters/http/`) and
 * any `*.integration.test.ts` — moto, sockets (HTTP, the GitHub stand-in, the S3 stub), spawned
 * processes. Unit: every other `*.test.ts`; a socket opened there fails the test (test/support/noSockets.ts).
 */
const integration = [
  "test/adapters/cli/**/*.test.ts",
  "test/adapters/http/**/*.test.ts",
  "test/**/*.integration.test.ts",
]

export default defineConfig({
  test: {
    // Measured on the 2-core machine (README, Tests): threads without isolation load the modules
    // (effect, the AWS SDK) once per worker instead of once per file, about 40% less CPU; two
    // workers overlap the tests that wait on moto, processes and real time.
    pool: "threads",
    isolate: false,
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: integration,
          setupFiles: ["test/support/noSockets.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: integration,
          globalSetup: ["test/support/motoGlobalSetup.ts"],
        },
      },
    ],
  },
})
