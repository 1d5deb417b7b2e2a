import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { runCli } from "../../support/cliProcess.js"

/** Spawned processes on a busy machine: several seconds each. */
const timeout = 180_000

describe("run-index CLI: user errors name the argument, the value and what is accepted", () => {
  let cwd: string
  let dataDirectory: string
  const env = () => ({ RUN_INDEX_DATA_DIR: dataDirectory, TFPILOT_REQUESTS_BUCKET: "" })
  const cli = (...args: Array<string>) => runCli(args, env(), cwd)
  const plant = async (path: string, body: string) => {
    await mkdir(dirname(join(dataDirectory, path)), { recursive: true })
    await writeFile(join(dataDirectory, path), body)
  }

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "run-index-user-errors-"))
    dataDirectory = join(cwd, "data")
  })
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true })
  })

  it(
    "a bad kind argument, --kind option and --input pair each name themselves and every accepted value, exit 2",
    async () => {
      const kinds = '"plan", "apply", "destroy", "cleanup", "drift_plan"'
      const get = await cli("get", "bogus", "1")
      assert.strictEqual(get.code, 2)
      assert.include(get.stderr, `kind "bogus": expected one of ${kinds}; actual "bogus"`)

      const ls = await cli("ls", "--kind", "nope")
      assert.strictEqual(ls.code, 2)
      assert.include(ls.stderr, `--kind "nope": expected one of ${kinds}; actual "nope"`)

      const dispatch = await cli(
        "dispatch",
        "plan",
        "--request",
        "req_dev_ec2_abc",
        "--repo",
        "octo/infra",
        "--workflow",
        "plan.yml",
        "--ref",
        "main",
        "--input",
        "novalue",
      )
      assert.strictEqual(dispatch.code, 2)
      assert.include(dispatch.stderr, '--input "novalue": must be key=value, e.g. --input environment=dev')
    },
    timeout,
  )

  it(
    "a configuration error names the variable and its value on one line, exit 2",
    async () => {
      const result = await runCli(["ls"], { ...env(), RUN_INDEX_LOCK_WAIT: "soon" }, cwd)
      assert.strictEqual(result.code, 2)
      assert.strictEqual(
        result.stderr.trim(),
        'run-index: RUN_INDEX_LOCK_WAIT="soon": must be a positive duration such as "2 seconds"; got "soon"',
      )
    },
    timeout,
  )

  it(
    "verify --requests reports a request document it cannot read, in one short line, and exits 1",
    async () => {
      await plant("requests/req_dev_ec2_ok.json", JSON.stringify({ version: 1, runs: {} }))
      await plant("requests/req_dev_ec2_broken.json", JSON.stringify({ version: 1, runs: "oops" }))
      const verify = await cli("verify", "--requests")
      assert.strictEqual(verify.code, 1, verify.stdout + verify.stderr)
      const line = verify.stdout.split("\n").find((each) => each.includes("DocumentUnreadable  ")) ?? ""
      assert.strictEqual(
        line,
        'PROBLEM DocumentUnreadable  requests/req_dev_ec2_broken.json cannot be read, so none of its runs can be checked: runs: Expected an object of the documented shape, actual "oops"',
      )

      const json = await cli("verify", "--requests", "--json")
      assert.strictEqual(json.code, 1)
      const report = JSON.parse(json.stdout) as { consistent: boolean; requests: { byProblem: object } }
      assert.isFalse(report.consistent)
      assert.deepStrictEqual(report.requests.byProblem, { DocumentUnreadable: 1 })
    },
    timeout,
  )

  it(
    "deliveries ls with nothing parked says so on stderr, and --json prints nothing",
    async () => {
      const listed = await cli("deliveries", "ls")
      assert.strictEqual(listed.code, 0)
      assert.strictEqual(listed.stdout, "")
      assert.strictEqual(listed.stderr.trim(), "no parked deliveries")
      const json = await cli("deliveries", "ls", "--json")
      assert.strictEqual(json.code, 0)
      assert.strictEqual(json.stdout, "")
    },
    timeout,
  )

  it(
    "simulate --report into a directory that does not exist fails before running, naming the path, exit 2",
    async () => {
      const missing = join(cwd, "no-such-directory", "report.html")
      const simulated = await cli("simulate", "--requests", "5", "--report", missing, "--json")
      assert.strictEqual(simulated.code, 2)
      assert.strictEqual(simulated.stdout, "")
      assert.strictEqual(
        simulated.stderr.trim(),
        `simulate --report "${missing}": the directory ${dirname(missing)} does not exist; nothing was run`,
      )
    },
    timeout,
  )
})
