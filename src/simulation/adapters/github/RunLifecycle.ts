/**
 * The GitHub simulator's runs and their lives: the registered workflows, each run from `queued`
 * through `in_progress` to `completed` (and back to `queued` on a re-run), one `workflow_run` event
 * per transition, and the one scheduler fiber that applies transitions as they fall due.
 */
import { Deferred, Duration, Effect, Either, FiberId, type PubSub } from "effect"
import { RunId } from "../../../domain/RunId.js"
import type { RepositoryName, WorkflowRun } from "../../../domain/WorkflowRun.js"
import { GatewayError } from "../../../ports/WorkflowRunsGateway.js"
import {
  eventOf,
  htmlUrlOf,
  insertInOrder,
  type RunCreation,
  type SimulatedRun,
  snapshotOf,
  type Workflow,
  wholeSeconds,
} from "./SimulatedRun.js"
import type {
  NoiseRun,
  RegisteredWorkflow,
  RunConclusion,
  RunStatus,
  WorkflowDefinition,
  WorkflowRunEvent,
} from "./SimulatorOptions.js"
import { hexDigest, pickWeighted, unitInterval } from "./SimulatorRandom.js"
import { renderRunName } from "./SimulatorRunName.js"
import { SimulatorTimeline } from "./SimulatorTimeline.js"

const workflowKey = (repository: string, workflow: string) => `${repository}\n${workflow}`

type Transition =
  | {
      readonly _tag: "Create"
      readonly creation: RunCreation
      readonly onCreated: (run: SimulatedRun) => void
    }
  | { readonly _tag: "Start"; readonly run: SimulatedRun; readonly attempt: number }
  | { readonly _tag: "Complete"; readonly run: SimulatedRun; readonly attempt: number }

/** Salts keep the seeded draws for different purposes independent. */
export const salt = {
  runId: 1,
  conclusion: 2,
  fault: 3,
  status: 4,
  creationDelay: 5,
  creationTail: 6,
} as const

/**
 * Reads the clock and applies `change` in one synchronous step, so no other fiber observes the
 * simulator between the two and every call sees a state advanced exactly to its own instant.
 */
export const atNow = <A>(change: (now: number) => A): Effect.Effect<A> =>
  Effect.clockWith((clock) => Effect.sync(() => change(clock.unsafeCurrentTimeMillis())))

export const notFound = (operation: string, detail: string) =>
  new GatewayError({ reason: "NotFound", operation, status: 404, detail })

export interface LifecycleSettings {
  readonly seed: number
  /** From creation (or re-run) to `in_progress`, ms. */
  readonly startDelay: number
  /** From `in_progress` to `completed`, ms. */
  readonly runDuration: number
  /** Subscribers are woken at multiples of this (ms); zero wakes them at each due instant. */
  readonly publishGranularity: number
  readonly serverUrl: string
  readonly recordEvents: boolean
  readonly firstRunId: number
  readonly conclusionWeights: ReadonlyArray<readonly [RunConclusion, number]>
}

/** The workflows, their runs and the transitions yet to happen, publishing each event to `pubsub`. */
export const makeRunLifecycle = (settings: LifecycleSettings, pubsub: PubSub.PubSub<WorkflowRunEvent>) => {
  const { seed, startDelay, runDuration, publishGranularity, serverUrl, recordEvents } = settings
  const snapshot = (run: SimulatedRun) => snapshotOf(serverUrl, run)
  const workflows = new Map<string, Workflow>()
  let registeredWorkflows = 0
  const runsById = new Map<number, SimulatedRun>()
  let createdRuns = 0
  let lastRunId = settings.firstRunId - 1
  const timeline = new SimulatorTimeline<Transition>()
  const history: Array<WorkflowRunEvent> = []

  // The one scheduler fiber sleeps until the earliest due transition; a new, earlier one wakes it.
  let wakeSignal = Deferred.unsafeMake<void>(FiberId.none)
  let wakeAt: number | undefined
  const wakeTimeOf = (due: number) =>
    publishGranularity > 0 ? Math.ceil(due / publishGranularity) * publishGranularity : due

  const schedule = (due: number, transition: Transition) => {
    timeline.schedule(due, transition)
    const wakeTime = wakeTimeOf(due)
    if (wakeAt === undefined || wakeTime < wakeAt) {
      wakeAt = wakeTime
      Deferred.unsafeDone(wakeSignal, Effect.void)
    }
  }

  const publish = (action: WorkflowRunEvent["action"], run: SimulatedRun) => {
    const event = eventOf(serverUrl, action, run)
    if (recordEvents) history.push(event)
    pubsub.unsafeOffer(event)
  }

  /** Creates a run at `at`, `queued`, and schedules its start. */
  const createRun = (creation: RunCreation, at: number): SimulatedRun => {
    createdRuns += 1
    lastRunId += 1 + Math.floor(unitInterval(seed, salt.runId, createdRuns) * 4)
    const workflow = creation.workflow
    workflow.createdRuns += 1
    const run: SimulatedRun = {
      id: RunId.make(lastRunId),
      workflow,
      name: workflow.definition.name,
      runNumber: workflow.createdRuns,
      displayTitle: creation.displayTitle,
      event: creation.event,
      headBranch: creation.headBranch,
      headSha: hexDigest(`${workflow.repository}:${creation.headBranch}`),
      actor: creation.actor,
      createdAt: wholeSeconds(creation.createdAt ?? at),
      status: "queued",
      conclusion: null,
      runAttempt: 1,
      updatedAt: wholeSeconds(at),
      snapshot: undefined,
    }
    runsById.set(run.id, run)
    insertInOrder(workflow, run)
    publish("requested", run)
    schedule(at + startDelay, { _tag: "Start", run, attempt: 1 })
    return run
  }

  const change = (run: SimulatedRun, status: RunStatus, conclusion: RunConclusion | null, at: number) => {
    run.status = status
    run.conclusion = conclusion
    run.updatedAt = wholeSeconds(at)
    run.snapshot = undefined
  }

  const apply = (transition: Transition, at: number) => {
    switch (transition._tag) {
      case "Create": {
        transition.onCreated(createRun(transition.creation, at))
        return
      }
      case "Start": {
        const run = transition.run
        if (run.runAttempt !== transition.attempt) return
        change(run, "in_progress", null, at)
        publish("in_progress", run)
        schedule(at + runDuration, { _tag: "Complete", run, attempt: transition.attempt })
        return
      }
      case "Complete": {
        const run = transition.run
        if (run.runAttempt !== transition.attempt) return
        const conclusion = pickWeighted(
          settings.conclusionWeights,
          unitInterval(seed, salt.conclusion, run.id, transition.attempt),
        )
        change(run, "completed", conclusion, at)
        publish("completed", run)
        return
      }
    }
  }

  /** Applies every transition due by `now`, in due order, each at its own due time. */
  const advance = (now: number) => {
    for (let due = timeline.takeDue(now); due !== undefined; due = timeline.takeDue(now)) {
      apply(due.value, due.due)
    }
  }

  const register = (repository: RepositoryName, file: string, definition: WorkflowDefinition) => {
    const declaredInputs =
      definition.declaredInputs === undefined ? undefined : new Set(definition.declaredInputs)
    const existing = workflows.get(workflowKey(repository, file))
    if (existing !== undefined) {
      existing.definition = definition
      existing.declaredInputs = declaredInputs
      return existing
    }
    registeredWorkflows += 1
    const workflow: Workflow = {
      id: 70_000_000 + registeredWorkflows,
      repository,
      file,
      path: `.github/workflows/${file}`,
      definition,
      declaredInputs,
      createdRuns: 0,
      runs: [],
      reorders: 0,
    }
    workflows.set(workflowKey(repository, file), workflow)
    workflows.set(workflowKey(repository, String(workflow.id)), workflow)
    return workflow
  }

  const describe = (workflow: Workflow): RegisteredWorkflow => ({
    id: workflow.id,
    repository: workflow.repository,
    file: workflow.file,
    path: workflow.path,
    name: workflow.definition.name,
  })

  /** A run's `display_title`: the workflow's rendered `run-name`, or its name when it has none. */
  const titleOf = (
    workflow: Workflow,
    inputs: Readonly<Record<string, string>>,
    context: { readonly actor: string; readonly refName: string; readonly event: string },
  ) =>
    workflow.definition.runName === undefined
      ? workflow.definition.name
      : renderRunName(workflow.definition.runName, {
          ...context,
          inputs,
          workflow: workflow.definition.name,
        })

  const findWorkflow = (repository: RepositoryName, workflow: string) =>
    workflows.get(workflowKey(repository, workflow))

  const rerunAt = (runId: RunId, now: number): Either.Either<WorkflowRun, GatewayError> => {
    advance(now)
    const run = runsById.get(runId)
    if (run === undefined) return Either.left(notFound("rerun", `no run ${runId} (simulated)`))
    if (run.status !== "completed") {
      return Either.left(
        new GatewayError({
          reason: "InvalidInputs",
          operation: "rerun",
          status: 403,
          detail: `run ${runId} is ${run.status}: only a completed run can be re-run (simulated)`,
        }),
      )
    }
    run.runAttempt += 1
    change(run, "queued", null, now)
    publish("requested", run)
    schedule(now + startDelay, { _tag: "Start", run, attempt: run.runAttempt })
    return Either.right(snapshot(run))
  }

  /** A noise run, created at once; `undefined` for an unknown workflow. */
  const addNoiseAt = (noise: NoiseRun, now: number): WorkflowRun | undefined => {
    advance(now)
    const workflow = findWorkflow(noise.repository, noise.workflow)
    if (workflow === undefined) return undefined
    const context = { actor: noise.actor, refName: noise.branch, event: noise.event }
    const run = createRun(
      {
        workflow,
        event: noise.event,
        headBranch: noise.branch,
        actor: noise.actor,
        displayTitle:
          noise.title ??
          (noise.event === "workflow_dispatch" ? titleOf(workflow, {}, context) : workflow.definition.name),
        ...(noise.createdAt === undefined ? {} : { createdAt: noise.createdAt }),
      },
      now,
    )
    return snapshot(run)
  }

  /** Forever: sleeps until the next transition falls due (or an earlier one is scheduled), applies it. */
  const scheduler = atNow((now) => {
    advance(now)
    wakeSignal = Deferred.unsafeMake<void>(FiberId.none)
    const next = timeline.nextDue()
    wakeAt = next === undefined ? undefined : wakeTimeOf(next)
    const woken = Deferred.await(wakeSignal)
    return wakeAt === undefined ? woken : Effect.raceFirst(Effect.sleep(Duration.millis(wakeAt - now)), woken)
  }).pipe(Effect.flatten, Effect.forever)

  return {
    register,
    describe,
    findWorkflow,
    titleOf,
    runById: (runId: RunId) => runsById.get(runId),
    allRuns: () => Array.from(runsById.values(), snapshot),
    history: () => history.slice(),
    createRun,
    /** Creates the run at `due` (a dispatch answered before its run exists), then tells `onCreated`. */
    createAt: (due: number, creation: RunCreation, onCreated: (run: SimulatedRun) => void) =>
      schedule(due, { _tag: "Create", creation, onCreated }),
    htmlUrlOf: (run: SimulatedRun) => htmlUrlOf(serverUrl, run),
    snapshot,
    advance,
    rerunAt,
    addNoiseAt,
    scheduler,
  }
}

export type RunLifecycle = ReturnType<typeof makeRunLifecycle>
