import { Context, Effect, Option, ParseResult, Schema, Stream } from "effect"
import { GatewayError } from "./WorkflowRunsGateway.js"

const Name = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/))
const HookId = Schema.Number.pipe(Schema.int(), Schema.positive())

/**
 * The webhook whose deliveries GitHub is asked about: a repository's hook, an organization's, or the
 * GitHub App's own.
 */
export const HookTarget = Schema.Union(
  Schema.TaggedStruct("Repository", { owner: Name, repo: Name, hookId: HookId }),
  Schema.TaggedStruct("Organization", { org: Name, hookId: HookId }),
  Schema.TaggedStruct("App", {}),
)
export type HookTarget = typeof HookTarget.Type

const hookPattern = /^(?:repo:([^/:]+)\/([^/:]+)\/([0-9]{1,20})|org:([^/:]+)\/([0-9]{1,20})|(app))$/

/** `repo:<owner>/<repo>/<hook id>`, `org:<org>/<hook id>` or `app`, as `RUN_INDEX_GITHUB_HOOK` spells it. */
export const HookTargetFromString = Schema.transformOrFail(Schema.String, HookTarget, {
  strict: true,
  decode: (text, _, ast) => {
    const match = hookPattern.exec(text.trim())
    if (match === null)
      return ParseResult.fail(
        new ParseResult.Type(
          ast,
          text,
          `must be repo:<owner>/<repo>/<hook id>, org:<org>/<hook id> or app; got ${JSON.stringify(text)}`,
        ),
      )
    const [, owner, repo, repoHook, org, orgHook] = match
    if (owner !== undefined && repo !== undefined)
      return ParseResult.succeed({ _tag: "Repository" as const, owner, repo, hookId: Number(repoHook) })
    if (org !== undefined)
      return ParseResult.succeed({ _tag: "Organization" as const, org, hookId: Number(orgHook) })
    return ParseResult.succeed({ _tag: "App" as const })
  },
  encode: (target) => ParseResult.succeed(describeHook(target)),
})

export const describeHook = (target: HookTarget): string => {
  switch (target._tag) {
    case "Repository":
      return `repo:${target.owner}/${target.repo}/${target.hookId}`
    case "Organization":
      return `org:${target.org}/${target.hookId}`
    case "App":
      return "app"
  }
}

/** One delivery attempt as GitHub lists it: a redelivery is a new attempt with the same `guid`. */
export interface HookDelivery {
  /** This attempt's id, the one to ask a redelivery of. */
  readonly id: number
  /** The `X-GitHub-Delivery` of the delivery; shared by its redeliveries. */
  readonly guid: string
  /** Epoch ms. */
  readonly deliveredAt: number
  /** The HTTP status our endpoint answered (0 when it did not answer). */
  readonly statusCode: number
  readonly event: string
  readonly redelivery: boolean
}

/** A webhook's recent deliveries on GitHub, and asking GitHub to send one again. */
export class HookDeliveries extends Context.Tag("run-index/HookDeliveries")<
  HookDeliveries,
  {
    /** Which hook these are; `None` when none is configured (every call then fails with `NotConfigured`). */
    readonly target: Option.Option<HookTarget>
    /** Delivery attempts, newest first, down to `since` (epoch ms, inclusive); pages fetched lazily. */
    readonly list: (since: number) => Stream.Stream<HookDelivery, GatewayError>
    /** Asks GitHub to send this delivery attempt again (a new attempt, same guid). Not idempotent. */
    readonly redeliver: (deliveryAttemptId: number) => Effect.Effect<void, GatewayError>
  }
>() {}

/** Every call fails with `NotConfigured`, saying what to set. */
export const notConfigured = (detail: string) => {
  const error = (operation: string) => new GatewayError({ reason: "NotConfigured", operation, detail })
  return HookDeliveries.of({
    target: Option.none(),
    list: () => Stream.fail(error("listDeliveries")),
    redeliver: () => Effect.fail(error("redeliver")),
  })
}
