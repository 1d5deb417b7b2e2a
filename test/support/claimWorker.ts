/**
 * Run as its own process: claims one (kind, runId) for each request id given, all at once,
 * on a directory store, and prints the outcomes as JSON lines. Used by the cross-process claim test.
 * Prints `ready` once loaded and claims when a line arrives on stdin, so that the processes of the
 * test claim at the same moment rather than each as soon as it has started.
 */
import { once } from "node:events"
import { NodeContext } from "@effect/platform-node"
import { Effect, Layer, Schema } from "effect"
import * as ObjectRunIndexStore from "../../src/adapters/ObjectRunIndexStore.js"
import * as DirectoryObjectStore from "../../src/adapters/objects/DirectoryObjectStore.js"
import { RequestId } from "../../src/domain/RequestId.js"
import { RunIdFromString } from "../../src/domain/RunId.js"
import { WorkflowKind } from "../../src/domain/WorkflowKind.js"
import { claimRun } from "../../src/programs/RunIndex.js"

const [root, kindText, runIdText, ...requestIds] = process.argv.slice(2)
const kind = Schema.decodeUnknownSync(WorkflowKind)(kindText)
const runId = Schema.decodeUnknownSync(RunIdFromString)(runIdText)

const program = Effect.forEach(
  requestIds.map((text) => Schema.decodeUnknownSync(RequestId)(text)),
  (requestId) =>
    claimRun({ kind, runId, requestId }).pipe(
      Effect.tap((claim) =>
        Effect.sync(() =>
          process.stdout.write(
            `${JSON.stringify({ requestId, outcome: claim._tag, owner: "owner" in claim ? claim.owner : requestId })}\n`,
          ),
        ),
      ),
    ),
  { concurrency: "unbounded", discard: true },
)

const store = ObjectRunIndexStore.layer.pipe(
  Layer.provide(DirectoryObjectStore.layer(root ?? ".")),
  Layer.provide(NodeContext.layer),
)
const go = once(process.stdin, "data")
process.stdout.write("ready\n")
go.then(() => {
  process.stdin.destroy()
  return Effect.runPromise(Effect.provide(program, store))
}).catch((error) => {
  process.stderr.write(`${String(error)}\n`)
  process.exit(1)
})
