import { mkdtemp, rm } from "node:fs/promises"
import { request } from "node:http"
import { createServer, type Server } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { setTimeout as delay } from "node:timers/promises"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { sign } from "@octokit/webhooks-methods"
import { servePort, spawnCli } from "../../support/serviceProcess.js"

const secret = "shutdown-test-secret"

describe("run-index serve: failures that say what happened, and a graceful shutdown", () => {
  let cwd: string
  const env = (extra: Record<string, string>) => ({
    RUN_INDEX_DATA_DIR: join(cwd, "data"),
    TFPILOT_REQUESTS_BUCKET: "",
    GITHUB_WEBHOOK_SECRET: secret,
    RUN_INDEX_REPLAY_INTERVAL: "off",
    RUN_INDEX_LOG_FORMAT: "json",
    ...extra,
  })

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "run-index-serve-"))
  })
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true })
  })

  it("a port in use fails at once with one line naming HOST and PORT, exit 1", async () => {
    const taken: Server = createServer()
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve))
    const address = taken.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    try {
      const serve = spawnCli(["serve"], env({ HOST: "127.0.0.1", PORT: String(port) }), cwd)
      const code = await serve.exited
      assert.strictEqual(code, 1, serve.stderr())
      const lines = serve.stderr().trim().split("\n")
      assert.strictEqual(
        lines.at(-1),
        `run-index: cannot listen on HOST=127.0.0.1 PORT=${port}: the port is in use by another process (EADDRINUSE); stop it or set PORT to a free port`,
      )
    } finally {
      taken.close()
    }
  }, 120_000)

  it("a HOST that is no address of this machine fails with one line naming it, exit 1", async () => {
    const port = 0
    const serve = spawnCli(["serve"], env({ HOST: "host.invalid", PORT: String(port) }), cwd)
    const code = await serve.exited
    assert.strictEqual(code, 1, serve.stderr())
    const last = serve.stderr().trim().split("\n").at(-1) ?? ""
    assert.match(
      last,
      new RegExp(
        `^run-index: cannot listen on HOST=host\\.invalid PORT=${port}: host\\.invalid does not resolve`,
      ),
    )
  }, 120_000)

  it("a PORT that is not a port is a configuration error: one line naming it, its value and what is accepted, exit 2", async () => {
    const serve = spawnCli(["serve"], env({ PORT: "eighty" }), cwd)
    const code = await serve.exited
    assert.strictEqual(code, 2, serve.stderr())
    assert.strictEqual(
      serve.stderr().trim(),
      'run-index: PORT="eighty": Expected an integer value but received "eighty"',
    )
  }, 120_000)

  it("SIGTERM stops accepting, finishes the delivery under way, and exits 0", async () => {
    const serve = spawnCli(["serve"], env({ HOST: "127.0.0.1", PORT: "0" }), cwd)
    const port = await servePort(serve)

    const body = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 })
    const signature = await sign(secret, body)
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const sending = request(
        {
          host: "127.0.0.1",
          port,
          path: "/webhooks/github",
          method: "POST",
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            "x-github-event": "ping",
            "x-github-delivery": "shutdown-delivery-1",
            "x-hub-signature-256": signature,
          },
        },
        (response) => {
          let text = ""
          response.on("data", (chunk: Buffer) => {
            text += chunk.toString()
          })
          response.on("end", () => resolve({ status: response.statusCode ?? 0, text }))
        },
      )
      sending.on("error", reject)
      // Half the body now: the delivery is under way when the signal comes.
      sending.write(body.slice(0, 10))
      void delay(300).then(() => {
        serve.child.kill("SIGTERM")
        return delay(1_000).then(async () => {
          const refused = await fetch(`http://127.0.0.1:${port}/healthz`).then(
            () => false,
            () => true,
          )
          assert.isTrue(refused, "a new connection after SIGTERM was accepted")
          sending.end(body.slice(10))
        })
      })
    })
    const answered = await answer
    assert.strictEqual(answered.status, 200, answered.text)
    const code = await serve.exited
    assert.strictEqual(code, 0, serve.stderr())
  }, 120_000)

  it("answers and logs that say what happened: JSON log lines from the first, probes unlogged at info, 400s listing every accepted value, 404 and a missing signature named", async () => {
    const serve = spawnCli(
      ["serve"],
      env({ HOST: "127.0.0.1", PORT: "0", RUN_INDEX_API_TOKEN: "operator-token" }),
      cwd,
    )
    const port = await servePort(serve)
    const base = `http://127.0.0.1:${port}`
    const authorized = { authorization: "Bearer operator-token", "content-type": "application/json" }
    const kinds = '"plan", "apply", "destroy", "cleanup", "drift_plan"'
    try {
      // A fresh process, before any delivery: every documented series is there, at 0.
      const metrics = await (await fetch(`${base}/metrics`)).text()
      for (const series of [
        'run_index_webhook_deliveries_total{outcome="processed"} 0',
        'run_index_webhook_deliveries_total{outcome="failed"} 0',
        'run_index_webhook_correlations_total{source="lane"} 0',
        'run_index_claims_total{result="blocked"} 0',
        'run_index_store_errors_total{reason="Throttled"} 0',
        "run_index_webhook_parked_deliveries 0",
        'run_index_webhook_processing_seconds_count{outcome="processed"} 0',
      ])
        assert.include(metrics.split("\n"), series)
      assert.notInclude(metrics, "effect_fiber_")
      await fetch(`${base}/readyz`)

      const badKind = await fetch(`${base}/v1/run-index/bogus/1`, { headers: authorized })
      assert.strictEqual(badKind.status, 400)
      assert.include(
        ((await badKind.json()) as { detail: string }).detail,
        `expected one of ${kinds}; actual "bogus"`,
      )

      const badBody = await fetch(`${base}/v1/requests/req_dev_ec2_abc/dispatch`, {
        method: "POST",
        headers: authorized,
        body: JSON.stringify({ kind: "xx" }),
      })
      assert.strictEqual(badBody.status, 400)
      assert.include(
        ((await badBody.json()) as { detail: string }).detail,
        `kind: expected one of ${kinds}; actual "xx"`,
      )

      const nowhere = await fetch(`${base}/no/such/page`)
      assert.strictEqual(nowhere.status, 404)
      assert.deepStrictEqual(await nowhere.json(), { error: "no such route" })

      const unsigned = await fetch(`${base}/webhooks/github`, {
        method: "POST",
        headers: {
          "x-github-event": "ping",
          "x-github-delivery": "unsigned-1",
          "content-type": "application/json",
        },
        body: "{}",
      })
      assert.strictEqual(unsigned.status, 401)
      assert.deepStrictEqual(await unsigned.json(), {
        error: "missing signature",
        detail:
          "X-Hub-Signature-256 is missing: give the GitHub webhook a secret, the same as GITHUB_WEBHOOK_SECRET",
      })
    } finally {
      serve.child.kill("SIGTERM")
      await serve.exited
    }
    const lines = serve.stderr().trim().split("\n")
    for (const line of lines) {
      assert.doesNotThrow(() => JSON.parse(line), undefined, `not a JSON log line: ${line}`)
    }
    const logged = lines.map(
      (line) => JSON.parse(line) as { message: unknown; annotations: Record<string, unknown> },
    )
    assert.match(String(logged[0]?.message), /^store: directory /)
    const paths = logged.map((entry) => entry.annotations["http.path"]).filter((path) => path !== undefined)
    assert.notInclude(paths, "/healthz")
    assert.notInclude(paths, "/readyz")
    assert.include(paths, "/no/such/page")
  }, 120_000)
})
