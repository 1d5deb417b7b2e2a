import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { cliContract } from "./CliContract.js"

cliContract("directory store", async () => {
  const root = await mkdtemp(join(tmpdir(), "run-index-cli-"))
  const dataDirectory = join(root, "data")
  return {
    env: { RUN_INDEX_DATA_DIR: dataDirectory },
    lifecycleRules: false,
    plant: async (path, body) => {
      const file = join(dataDirectory, path)
      await mkdir(dirname(file), { recursive: true })
      await writeFile(file, body)
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  }
})
