import { type ConfigError, Effect, Layer, Option, Ref } from "effect"
import { GatewayError, WorkflowRunsGateway } from "../../ports/WorkflowRunsGateway.js"
import * as Settings from "../Settings.js"
import { decodeApp, decodeAuthentication, decodeUser } from "./OctokitAnswers.js"
import { call, undecodable } from "./OctokitCall.js"
import { OctokitClient } from "./OctokitClient.js"
import { makeDispatch } from "./OctokitDispatch.js"
import { makeRunListing } from "./OctokitRunListing.js"

export interface OctokitGatewayOptions {
  /** The login whose runs the dispatches create, when known (`GITHUB_ACTOR`); otherwise asked of GitHub. */
  readonly actor?: string
}

/**
 * The gateway over one Octokit: dispatch (OctokitDispatch), listing and reading runs
 * (OctokitRunListing), and the identity its runs show, learned here. Every call goes through
 * OctokitCall's one choke point.
 */
const make = (options: OctokitGatewayOptions) =>
  Effect.gen(function* () {
    const octokit = yield* OctokitClient
    const dispatch = yield* makeDispatch
    const { listRuns, getRun } = yield* makeRunListing

    const askIdentity = Effect.gen(function* () {
      const authentication = yield* call("identity", "authentication", () => octokit.auth({ type: "app" }))
      const { type, tokenType } = yield* decodeAuthentication(authentication).pipe(
        Effect.mapError((error) => undecodable("identity", "authentication", error)),
      )
      if (type === "app" || tokenType === "app") {
        const app = yield* call("identity", "GET /app", (signal) =>
          octokit.rest.apps.getAuthenticated({ request: { signal } }),
        )
        const { slug } = yield* decodeApp(app.data).pipe(
          Effect.mapError((error) => undecodable("identity", "GET /app", error)),
        )
        return `${slug}[bot]`
      }
      if (tokenType === "installation") {
        return yield* new GatewayError({
          reason: "NotConfigured",
          operation: "identity",
          detail:
            "an installation token cannot say which App it belongs to: set GITHUB_ACTOR to the login its runs show (<slug>[bot])",
        })
      }
      const user = yield* call("identity", "GET /user", (signal) =>
        octokit.rest.users.getAuthenticated({ request: { signal } }),
      )
      const { login } = yield* decodeUser(user.data).pipe(
        Effect.mapError((error) => undecodable("identity", "GET /user", error)),
      )
      return login
    })

    /** The identity once learned; a failure leaves it unset so the next call asks again. */
    const learned = yield* Ref.make(Option.fromNullable(options.actor))
    const learning = yield* Effect.makeSemaphore(1)
    const identity = Effect.flatMap(Ref.get(learned), (known) =>
      Option.isSome(known)
        ? Effect.succeed(known.value)
        : learning.withPermits(1)(
            // Callers that waited for the permit find what the first one learned.
            Effect.flatMap(Ref.get(learned), (again) =>
              Option.isSome(again)
                ? Effect.succeed(again.value)
                : Effect.tap(askIdentity, (login) => Ref.set(learned, Option.some(login))),
            ),
          ),
    ).pipe(Effect.withSpan("OctokitGateway.identity"))

    return WorkflowRunsGateway.of({ identity, dispatch, listRuns, getRun })
  })

/** GitHub Actions through the Octokit in `OctokitClient`; the identity is asked of GitHub when first needed. */
export const layer: Layer.Layer<WorkflowRunsGateway, never, OctokitClient> = Layer.effect(
  WorkflowRunsGateway,
  make({}),
)

/** As `layer`, with what the options say (a known identity is never asked of GitHub). */
export const layerWith = (
  options: OctokitGatewayOptions,
): Layer.Layer<WorkflowRunsGateway, never, OctokitClient> => Layer.effect(WorkflowRunsGateway, make(options))

/** As `layer`, the identity from `GITHUB_ACTOR` when it is set; an invalid login is a ConfigError naming it. */
export const layerConfig: Layer.Layer<WorkflowRunsGateway, ConfigError.ConfigError, OctokitClient> =
  Layer.unwrapEffect(
    Effect.map(Settings.githubActor, (actor) =>
      layerWith(Option.match(actor, { onNone: () => ({}), onSome: (login) => ({ actor: login }) })),
    ),
  )
