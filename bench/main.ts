/**
 * `npm run bench [-- --json] [section …]`: runs the benchmark sections (all of them by default) and
 * prints a table per section, or with `--json` exactly one JSON object, `{ "<section>": { … } }`, on
 * stdout. Progress and notes go to stderr. npm itself prints a banner on stdout before the script
 * runs; `npm run -s bench -- --json` leaves the JSON alone there.
 */
import { bodyFlood, renderBodyFlood } from "./bodyFlood.js"
import { dispatch, renderDispatch } from "./dispatch.js"
import { defaultLookupOptions, lookup, renderLookup } from "./lookup.js"
import { defaultRetentionOptions, renderRetention, retention } from "./retention.js"
import { renderSimulation, simulation } from "./simulation.js"
import { renderStartup, startup } from "./startup.js"
import { renderWebhook, webhook } from "./webhook.js"

type Progress = (line: string) => void

/** One section of the benchmark: its figures for `--json`, and the same as a table for people. */
interface Section {
  readonly run: (progress: Progress) => Promise<{ readonly figures: object; readonly table: string }>
}

const sections: Record<string, Section> = {
  startup: {
    run: async (progress) => {
      const figures = await startup({ rounds: 15, startRounds: 5, progress })
      return { figures, table: renderStartup(figures) }
    },
  },
  lookup: {
    run: async (progress) => {
      const figures = await lookup({ ...defaultLookupOptions, progress })
      return { figures, table: renderLookup(figures) }
    },
  },
  dispatch: {
    run: async (progress) => {
      const figures = await dispatch({ requests: 200, progress })
      return { figures, table: renderDispatch(figures) }
    },
  },
  webhook: {
    run: async (progress) => {
      const figures = await webhook({ runs: 100, connections: 16, seconds: 8, rounds: 3, progress })
      return { figures, table: renderWebhook(figures) }
    },
  },
  bodyFlood: {
    run: async (progress) => {
      const figures = await bodyFlood({ connections: 100, megabytes: 5, progress })
      return { figures, table: renderBodyFlood(figures) }
    },
  },
  retention: {
    run: async (progress) => {
      const figures = await retention({ ...defaultRetentionOptions, progress })
      return { figures, table: renderRetention(figures) }
    },
  },
  simulation: {
    run: async (progress) => {
      const figures = await simulation({ small: 1_000, large: 100_000, smallRuns: 3, progress })
      return { figures, table: renderSimulation(figures) }
    },
  },
}

const usage = `usage: npm run -s bench -- [--json] [${Object.keys(sections).join(" | ")} …]`

const main = async (argv: ReadonlyArray<string>): Promise<void> => {
  // The SDK warns on stderr about Node versions it will stop supporting; that is not bench output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true"
  process.env.AWS_ACCESS_KEY_ID ??= "test"
  process.env.AWS_SECRET_ACCESS_KEY ??= "test"
  process.env.AWS_REGION ??= "us-east-1"

  const json = argv.includes("--json")
  const unknown = argv.filter((argument) =>
    argument.startsWith("-") ? argument !== "--json" : !(argument in sections),
  )
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.join(", ")}; ${usage}`)
  const named = argv.filter((argument) => !argument.startsWith("-"))
  const chosen = named.length === 0 ? Object.keys(sections) : named

  const results: Record<string, object> = {}
  const tables: Array<string> = []
  for (const name of chosen) {
    const progress: Progress = (line) => process.stderr.write(`[${name}] ${line}\n`)
    const started = process.hrtime.bigint()
    const { figures, table } = await sections[name]!.run(progress)
    progress(`done in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`)
    results[name] = figures
    tables.push(table)
  }
  const output = json ? `${JSON.stringify(results)}\n` : `${tables.join("\n\n")}\n`
  await new Promise<void>((resolve) => process.stdout.write(output, () => resolve()))
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  },
)
