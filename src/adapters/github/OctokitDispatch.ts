import { Clock, Effect, Option, Ref } from "effect"
import { splitRepository } from "../../domain/WorkflowRun.js"
import type { Dispatched, DispatchRequest, GatewayError } from "../../ports/WorkflowRunsGateway.js"
import { decodeRunDetails } from "./OctokitAnswers.js"
import { call, serverClock } from "./OctokitCall.js"
import { OctokitClient } from "./OctokitClient.js"

/** A server without `return_run_details` (GHES ≤ 3.20) rejects the unknown field with a 400 or 422 naming it. */
const refusesRunDetails = (error: GatewayError): boolean =>
  (error.status === 400 || error.status === 422) && error.detail.includes("return_run_details")

/**
 * The gateway's `dispatch`: asks GitHub for the new run's id (`return_run_details`) where the
 * server can say, and remembers, for the gateway built, a server that cannot.
 */
export const makeDispatch = Effect.gen(function* () {
  const octokit = yield* OctokitClient
  /** False once this server refused `return_run_details`: later dispatches leave it out. */
  const runDetailsSupported = yield* Ref.make(true)

  const dispatchOnce = (request: DispatchRequest, withRunDetails: boolean) => {
    const { owner, repo } = splitRepository(request.repository)
    return call("dispatch", `${request.repository} ${request.workflow}@${request.ref}`, (signal) =>
      octokit.request("POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", {
        owner,
        repo,
        workflow_id: request.workflow,
        ref: request.ref,
        inputs: { ...request.inputs },
        ...(withRunDetails ? { return_run_details: true } : {}),
        // A 5xx or a lost answer may hide a run already created: a blind retry could start the
        // workflow twice. The caller decides (list the runs first). Rate limits are still waited out.
        request: { signal, retries: 0 },
      }),
    )
  }

  return Effect.fn("OctokitGateway.dispatch")(function* (request: DispatchRequest) {
    const askForRunDetails = yield* Ref.get(runDetailsSupported)
    const response = yield* dispatchOnce(request, askForRunDetails).pipe(
      Effect.catchIf(
        (error) => askForRunDetails && refusesRunDetails(error),
        () =>
          Ref.set(runDetailsSupported, false).pipe(
            Effect.zipRight(Effect.logInfo("GitHub does not return run details here; dispatching without")),
            Effect.zipRight(dispatchOnce(request, false)),
          ),
      ),
    )
    const serverTime = yield* Option.match(serverClock(response.headers), {
      onNone: () => Clock.currentTimeMillis,
      onSome: Effect.succeed,
    })
    const noRun: Dispatched = {
      runId: Option.none(),
      runUrl: Option.none(),
      htmlUrl: Option.none(),
      serverTime,
    }
    if (response.status !== 200) return noRun
    const details = decodeRunDetails(response.data)
    if (details._tag === "Left") {
      // The workflow was dispatched: failing now would invite a second dispatch. Find the run instead.
      yield* Effect.logWarning(
        "GitHub's run details for a dispatch do not decode; resolving the run by listing",
        {
          repository: request.repository,
          workflow: request.workflow,
          error: details.left.message,
        },
      )
      return noRun
    }
    return {
      runId: Option.some(details.right.workflow_run_id),
      runUrl: Option.some(details.right.run_url),
      htmlUrl: Option.some(details.right.html_url),
      serverTime,
    } satisfies Dispatched
  })
})
