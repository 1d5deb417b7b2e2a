import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { startService } from "../support/service.js"

describe("generated secrets, two services starting at once", () => {
  it("two services starting together on an empty data directory both accept the one token in the file", async () => {
    const directory = await mkdtemp(join(tmpdir(), "run-index-two-starts-"))
    try {
      const services = await Promise.all([
        startService({ RUN_INDEX_DATA_DIR: directory, RUN_INDEX_REPLAY_INTERVAL: "off" }),
        startService({ RUN_INDEX_DATA_DIR: directory, RUN_INDEX_REPLAY_INTERVAL: "off" }),
      ])
      try {
        const token = (await readFile(join(directory, "api-token"), "utf8")).trim()
        for (const service of services) {
          const response = await fetch(`${service.baseUrl}/v1/requests/req_none`, {
            headers: { authorization: `Bearer ${token}` },
          })
          assert.strictEqual(response.status, 404)
        }
      } finally {
        await Promise.all(services.map((service) => service.stop()))
      }
    } finally {
      await rm(directory, { recursive: true, force: true })
    }
  })
})
