import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { cliContract } from "./CliContract.js"

cliContract("directory store", async () => {
  const cwd = await mkdtemp(join(tmpdir(), "run-index-cli-"))
  const dataDirectory = join(cwd, "data")
  return {
    cwd,
    env: { RUN_INDEX_DATA_DIR: dataDirectory, TFPILOT_REQUESTS_BUCKET: "" },
    lifecycleRules: false,
    plant: async (path, body) => {
      const file = join(dataDirectory, path)
      await mkdir(dirname(file), { recursive: true })
      await writeFile(file, body)
    },
    cleanup: () => rm(cwd, { recursive: true, force: true }),
  }
})
