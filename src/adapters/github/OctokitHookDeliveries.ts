import { Clock, Effect, Layer, Option, Schema, Stream } from "effect"
import { HookDeliveries, type HookDelivery, type HookTarget } from "../../ports/HookDeliveries.js"
import { GatewayError } from "../../ports/WorkflowRunsGateway.js"
import { toGatewayError } from "./OctokitCall.js"
import { OctokitClient } from "./OctokitClient.js"

/** One attempt as GitHub's hook deliveries API lists it (the fields used here). */
const ListedDelivery = Schema.Struct({
  id: Schema.Number,
  guid: Schema.String,
  delivered_at: Schema.Date,
  status_code: Schema.Number,
  event: Schema.String,
  redelivery: Schema.Boolean,
})
const decodePage = Schema.decodeUnknown(Schema.Array(ListedDelivery))

/** The REST routes of a hook's deliveries, and their parameters. */
const routesOf = (target: HookTarget) => {
  switch (target._tag) {
    case "Repository":
      return {
        list: "GET /repos/{owner}/{repo}/hooks/{hook_id}/deliveries",
        redeliver: "POST /repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}/attempts",
        parameters: { owner: target.owner, repo: target.repo, hook_id: target.hookId },
      } as const
    case "Organization":
      return {
        list: "GET /orgs/{org}/hooks/{hook_id}/deliveries",
        redeliver: "POST /orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}/attempts",
        parameters: { org: target.org, hook_id: target.hookId },
      } as const
    case "App":
      // Octokit's App authentication signs these with the App's JWT by itself.
      return {
        list: "GET /app/hook/deliveries",
        redeliver: "POST /app/hook/deliveries/{delivery_id}/attempts",
        parameters: {},
      } as const
  }
}

/**
 * A hook's deliveries through the Octokit in `OctokitClient`: the listing through `octokit.paginate`
 * (GitHub pages it with a cursor in `Link`), stopping at the first page older than asked.
 */
export const layer = (target: HookTarget): Layer.Layer<HookDeliveries, never, OctokitClient> =>
  Layer.effect(
    HookDeliveries,
    Effect.gen(function* () {
      const octokit = yield* OctokitClient
      const routes = routesOf(target)
      const failure = (operation: string, cause: unknown) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.fail(toGatewayError(operation, routes.list, cause, now)),
        )

      const list = (since: number): Stream.Stream<HookDelivery, GatewayError> =>
        Stream.unwrapScoped(
          Effect.gen(function* () {
            const controller = new AbortController()
            yield* Effect.addFinalizer(() => Effect.sync(() => controller.abort()))
            // The three routes differ only in their parameters: called through one untyped signature.
            const iterate = octokit.paginate.iterator as (
              route: string,
              parameters: Record<string, unknown>,
            ) => AsyncIterable<{ readonly data: unknown }>
            const pages = iterate(routes.list, {
              ...routes.parameters,
              per_page: 100,
              request: { signal: controller.signal },
            })
            return Stream.fromAsyncIterable(pages, (cause) => cause).pipe(
              Stream.catchAll((cause) => Stream.fromEffect(failure("listDeliveries", cause))),
              Stream.mapEffect((page) =>
                decodePage(page.data).pipe(
                  Effect.mapError(
                    (error) =>
                      new GatewayError({
                        reason: "Unavailable",
                        operation: "listDeliveries",
                        detail: `${routes.list}: GitHub's answer does not decode: ${error.message}`,
                      }),
                  ),
                ),
              ),
              Stream.takeUntil((page) => page.some((each) => each.delivered_at.getTime() < since)),
              Stream.flatMap((page) => Stream.fromIterable(page)),
              Stream.filter((each) => each.delivered_at.getTime() >= since),
              Stream.map(
                (each): HookDelivery => ({
                  id: each.id,
                  guid: each.guid,
                  deliveredAt: each.delivered_at.getTime(),
                  statusCode: each.status_code,
                  event: each.event,
                  redelivery: each.redelivery,
                }),
              ),
            )
          }),
        )

      const redeliver = (deliveryAttemptId: number) =>
        Effect.tryPromise({
          try: (signal) =>
            octokit.request(routes.redeliver as "POST /app/hook/deliveries/{delivery_id}/attempts", {
              ...routes.parameters,
              delivery_id: deliveryAttemptId,
              // Asking twice sends it twice: the caller decides whether to ask again.
              request: { signal, retries: 0 },
            }),
          catch: (cause) => cause,
        }).pipe(
          Effect.catchAll((cause) => failure("redeliver", cause)),
          Effect.asVoid,
        )

      return HookDeliveries.of({ target: Option.some(target), list, redeliver })
    }),
  )
