import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { ObjectStore, WriteCondition } from "../../src/adapters/objects/ObjectStore.js"
import { DeliveryId } from "../../src/domain/WorkflowRunPayload.js"
import { candidateIds } from "../../src/programs/Correlation.js"
import { processDelivery } from "../../src/programs/Webhooks.js"
import { requestDocumentWithRun, workflowRunPayload } from "../support/payloads.js"
import { world } from "../support/world.js"

/** The webhook body limit: a title can be this long. */
const fiveMegabytes = 5 * 1024 * 1024
const dots = ".".repeat(fiveMegabytes)

/** Real milliseconds `run` took: these inputs take minutes for a quadratic scan, milliseconds for a linear one. */
const timed = <A>(run: () => A) => {
  const started = performance.now()
  const result = run()
  return { result, millis: performance.now() - started }
}

describe("request ids in untrusted titles are found in linear time", () => {
  it("5 MB of dots and one letter is one word that is no request id", () => {
    const { result, millis } = timed(() => [...candidateIds(`${dots}a`, 5)])
    assert.deepStrictEqual(result, [])
    assert.isBelow(millis, 2_000)
  })

  it("a request id followed by 5 MB of dots is found, its trailing dots dropped", () => {
    const { result, millis } = timed(() => [...candidateIds(`Apply req_dots${dots}`, 5)])
    assert.deepStrictEqual(result, ["Apply", "req_dots"])
    assert.isBelow(millis, 2_000)
  })

  it("5 MB of one-dot words and separators: nothing, quickly", () => {
    const { result, millis } = timed(() => [...candidateIds(". ".repeat(fiveMegabytes / 2), 5)])
    assert.deepStrictEqual(result, [])
    assert.isBelow(millis, 2_000)
  })

  it("words are split on anything outside [A-Za-z0-9_.-], kept distinct, in order, at most the limit", () => {
    assert.deepStrictEqual<ReadonlyArray<string>>(
      candidateIds("Apply req_a... (req_b) req_a, x.y req_c", 3),
      ["Apply", "req_a", "req_b"],
    )
    assert.deepStrictEqual<ReadonlyArray<string>>(candidateIds("ab .a_b -xyz", 5), [])
    assert.deepStrictEqual<ReadonlyArray<string>>(candidateIds(null, 5), [])
    assert.deepStrictEqual<ReadonlyArray<string>>(candidateIds(`${"r".repeat(129)} req_ok`, 5), ["req_ok"])
  })

  it.effect("a delivery whose 5 MB title ends in its request id is processed by the title fallback", () =>
    Effect.gen(function* () {
      const objects = yield* ObjectStore
      yield* objects.put(
        "requests/req_dots.json",
        JSON.stringify(requestDocumentWithRun("apply", 55)),
        WriteCondition.Always(),
      )
      const payload = workflowRunPayload({
        id: 55,
        kind: "apply",
        status: "completed",
        title: `${dots}a ${dots} req_dots${dots}`,
      })
      const started = performance.now()
      const result = yield* processDelivery({
        deliveryId: Schema.decodeSync(DeliveryId)("dots-1"),
        event: "workflow_run",
        headers: { "x-github-event": "workflow_run" },
        body: JSON.stringify(payload),
      })
      assert.isBelow(performance.now() - started, 10_000)
      assert.deepInclude({ ...result } as Record<string, unknown>, {
        _tag: "Processed",
        source: "title",
        requestId: "req_dots",
      })
    }).pipe(Effect.provide(world())),
  )
})
