import { Effect, Layer, Schema } from "effect"
import * as ObjectDeliveryLog from "../../src/adapters/ObjectDeliveryLog.js"
import * as ObjectDispatchLanes from "../../src/adapters/ObjectDispatchLanes.js"
import * as ObjectRequestStore from "../../src/adapters/ObjectRequestStore.js"
import * as ObjectRunIndexStore from "../../src/adapters/ObjectRunIndexStore.js"
import * as MemoryObjectStore from "../../src/adapters/objects/MemoryObjectStore.js"
import type { ObjectStore } from "../../src/adapters/objects/ObjectStore.js"
import type { WorkflowKind } from "../../src/domain/WorkflowKind.js"
import { RepositoryName } from "../../src/domain/WorkflowRun.js"
import { RequestStore } from "../../src/ports/RequestStore.js"
import * as GitHubSimulator from "../../src/simulation/adapters/github/GitHubSimulator.js"
import { requestId } from "./fixtures.js"

export const repository = Schema.decodeSync(RepositoryName)("acme/infra")

/** Every store over one object store (memory unless given), and a simulated GitHub with the platform's workflows. */
export const world = <Extra = never>(
  options: GitHubSimulator.SimulatorOptions = {},
  objects: Layer.Layer<ObjectStore | Extra, unknown> = MemoryObjectStore.layerMemory as Layer.Layer<
    ObjectStore | Extra
  >,
) =>
  Layer.mergeAll(
    ObjectRunIndexStore.layer,
    ObjectRequestStore.layer,
    ObjectDeliveryLog.layer,
    ObjectDispatchLanes.layer,
    GitHubSimulator.layer({
      workflows: [
        { repository, file: "plan.yml", name: "Plan", runName: "Plan ${{ inputs.request_id }}" },
        { repository, file: "apply.yml", name: "Apply", runName: "Apply ${{ inputs.request_id }}" },
        { repository, file: "destroy.yml", name: "Destroy" },
      ],
      ...options,
    }),
  ).pipe(Layer.provideMerge(objects))

/** Attempt `attempt` of `kind` in request `id`'s document, as stored; undefined when there is none. */
export const attemptOf = (id: string, kind: WorkflowKind, attempt = 1) =>
  Effect.gen(function* () {
    const read = yield* (yield* RequestStore).get(requestId(id))
    return read._tag === "Found"
      ? read.document.runs[kind]?.attempts.find((each) => each.attempt === attempt)
      : undefined
  })
