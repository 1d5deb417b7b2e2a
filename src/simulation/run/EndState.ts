/**
 * The end of a simulation: what is true (GitHub's record, joined with the dispatch ledger), and
 * every request document, index entry, observed patch and delivery checked against it.
 */
import { Context, Effect, Option, Stream } from "effect"
import { DeliveryLog } from "../../ports/DeliveryLog.js"
import { RequestStore } from "../../ports/RequestStore.js"
import { RunIndexStore } from "../../ports/RunIndexStore.js"
import type * as GitHubSimulator from "../adapters/github/GitHubSimulator.js"
import {
  type GroundTruth,
  makeInvariantChecker,
  type ObservedPatch,
  type RunState,
} from "../domain/SimulationInvariants.js"
import type { DispatchLedger } from "./DispatchLedger.js"
import { checkConcurrency, kindOfWorkflow, makeDeliveryId } from "./World.js"

/** What is true at the end: GitHub's state of every run, and which attempt's dispatch created each. */
export const groundTruth = (simulator: GitHubSimulator.GitHubSimulator["Type"], ledger: DispatchLedger) =>
  Effect.gen(function* () {
    const runs = new Map<number, RunState>(
      (yield* simulator.runs).map((run) => [
        run.id,
        { status: run.status, conclusion: run.conclusion, runAttempt: run.runAttempt },
      ]),
    )
    const creators = ledger.creators(yield* simulator.dispatchedRequests, (workflow) =>
      kindOfWorkflow.get(workflow),
    )
    return {
      creatorOf: (runId) => creators.get(runId),
      run: (runId) => runs.get(runId),
    } satisfies GroundTruth
  })

/** Checks every request document, index entry, observed patch and delivery posted against the truth. */
export const checkEndState = (
  truth: GroundTruth,
  check: Context.Context<RequestStore | DeliveryLog | RunIndexStore>,
  patches: ReadonlyArray<ObservedPatch>,
  deliveryIds: Iterable<string>,
) =>
  Effect.gen(function* () {
    const checker = makeInvariantChecker(truth)
    const store = Context.get(check, RequestStore)
    const log = Context.get(check, DeliveryLog)
    yield* store.list().pipe(
      Stream.mapEffect(
        (requestId) => Effect.map(store.get(requestId), (read) => [requestId, read] as const),
        {
          concurrency: checkConcurrency,
        },
      ),
      Stream.runForEach(([requestId, read]) =>
        Effect.sync(() => {
          if (read._tag === "Found") checker.addDocument(requestId, read.document)
        }),
      ),
    )
    yield* Stream.runForEach(Context.get(check, RunIndexStore).list(), (listed) =>
      Effect.sync(() => {
        if (listed._tag === "Valid")
          checker.addIndexEntry(listed.entry.kind, listed.entry.runId, listed.entry.requestId)
      }),
    )
    for (const patch of patches) checker.addPatch(patch)
    const parked = new Set<string>()
    yield* Stream.runForEach(log.parked, (each) => Effect.sync(() => parked.add(each.deliveryId)))
    yield* Effect.forEach(
      deliveryIds,
      (deliveryId) =>
        Effect.map(log.processed(makeDeliveryId(deliveryId)), (processed) =>
          checker.addDelivery(deliveryId, Option.isSome(processed) || parked.has(deliveryId)),
        ),
      { concurrency: checkConcurrency, discard: true },
    )
    return checker.result()
  })
