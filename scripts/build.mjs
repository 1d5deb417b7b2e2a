/**
 * `npm run build`: compiles the library with tsc (dist/, with declarations), then bundles the two
 * programs, `dist/bin.js` (the CLI) and `dist/main.js` (the service), with esbuild over tsc's output
 * of them. A bundle starts several times faster than the unbundled modules: Node resolves and
 * compiles one tree-shaken file instead of hundreds of modules (`effect` alone is ~500). Adapters
 * a command may not need (the AWS SDK, Octokit, the HTTP server, the simulation) stay behind
 * dynamic imports and become chunks of their own, loaded only by the commands that use them.
 *
 * tsc compiles the simulation (src/simulation/) too, since the CLI bundle is made from tsc's output,
 * but the package ships of dist/simulation/ only the GitHub simulator the library exports (see
 * package.json `files`): the rest, the check-then-put baseline included, ships only inside the CLI's
 * `simulate` chunks.
 *
 * `node scripts/build.mjs --metafile` also writes dist/bin.meta.json and dist/main.meta.json.
 *
 * `node scripts/build.mjs --if-stale` (what `npm start` runs first) builds only when a source is
 * newer than the last build: a modification-time check takes milliseconds, `tsc` seconds.
 */
import { spawnSync } from "node:child_process"
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const stamp = join(root, "dist", ".built")
const inputs = ["src", "package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "scripts"]

const newestModification = (path) => {
  const stats = statSync(path, { throwIfNoEntry: false })
  if (stats === undefined) return 0
  if (!stats.isDirectory()) return stats.mtimeMs
  return Math.max(0, ...readdirSync(path).map((name) => newestModification(join(path, name))))
}

const stale = () => {
  const built = statSync(stamp, { throwIfNoEntry: false })
  return built === undefined || inputs.some((input) => newestModification(join(root, input)) > built.mtimeMs)
}

const build = async () => {
  const require = createRequire(import.meta.url)
  const tsc = spawnSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"],
    {
      cwd: root,
      stdio: "inherit",
    },
  )
  if (tsc.status !== 0) process.exit(tsc.status ?? 1)
  const esbuild = await import("esbuild")
  rmSync(join(root, "dist", "chunks"), { recursive: true, force: true })
  // One build per program: chunks shared by both would mix what only the service needs into the CLI's start.
  for (const program of ["bin", "main"]) {
    const result = await bundle(esbuild, program)
    // `--metafile`: what each chunk holds, for esbuild's analyzer (esbuild.github.io/analyze) or analyzeMetafile.
    if (process.argv.includes("--metafile"))
      writeFileSync(join(root, "dist", `${program}.meta.json`), JSON.stringify(result.metafile))
  }
  writeFileSync(stamp, `${new Date().toISOString()}\n`)
}

const bundle = (esbuild, program) =>
  esbuild.build({
    absWorkingDir: root,
    entryPoints: { [program]: `dist/${program}.js` },
    outdir: "dist",
    allowOverwrite: true,
    chunkNames: `chunks/${program}/[name]-[hash]`,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // Maps back through tsc's maps to src/*.ts; `node --enable-source-maps dist/bin.js` uses them.
    sourcemap: true,
    // Some dependencies are CommonJS and call `require` for Node's own modules.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
    },
    // Shorter names and simpler syntax compile faster; whitespace stays, so that an uncaught error's
    // source line is one line, not a whole module. Names are kept for error classes and stack traces.
    minifySyntax: true,
    minifyIdentifiers: true,
    keepNames: true,
    plugins: [withoutConfigFileParsers, deepImports()],
    logLevel: "warning",
    metafile: process.argv.includes("--metafile"),
  })

/**
 * @effect/cli imports YAML, TOML and INI parsers at start-up for options that read configuration
 * files (~400 KB of the CLI's ~2.3 MB). run-index has no such option; a stub that fails keeps them out.
 */
const withoutConfigFileParsers = {
  name: "without-config-file-parsers",
  setup: (build) => {
    build.onResolve({ filter: /^(yaml|toml|ini)$/ }, (args) =>
      args.importer.includes("@effect/cli") ? { path: args.path, namespace: "unused-parser" } : undefined,
    )
    build.onLoad({ filter: /.*/, namespace: "unused-parser" }, (args) => ({
      contents: `export const parse = () => { throw new Error("run-index reads no ${args.path} files") }`,
      loader: "js",
    }))
  },
}

/**
 * Our modules import Effect's barrels (`import { Effect, Schema } from "effect"`). With splitting,
 * a barrel's `export * as Name` namespaces are materialised in the chunk that holds the barrel, the
 * one every program loads first, for every module any chunk uses: the CLI's start compiled the HTTP
 * server's router, fast-check and more (~600 KB of its ~1.5 MB). Rewriting each such import of our own
 * modules to the module's own path (`import * as Effect from "effect/Effect"`, what the barrel
 * re-exports) keeps each module in the chunks that use it. Names a barrel does not re-export as a
 * namespace (`pipe`, `flow`, …) are left importing the barrel.
 */
const barrels = ["effect", "@effect/platform", "@effect/cli"]
const deepImports = () => ({
  name: "deep-imports",
  setup: (build) => {
    const require = createRequire(import.meta.url)
    const modules = Object.fromEntries(
      barrels.map((barrel) => {
        const index = readFileSync(
          join(dirname(require.resolve(`${barrel}/package.json`)), "dist/esm/index.js"),
          "utf8",
        )
        const names = [...index.matchAll(/^export \* as (\w+) from "\.\/(\w+)\.js"/gm)]
        return [barrel, new Map(names.map(([, name, module]) => [name, `${barrel}/${module}`]))]
      }),
    )
    const barrelImport = /^import \{([^}]*)\} from "(effect|@effect\/platform|@effect\/cli)";$/gm
    build.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(join(root, "dist"))) return undefined
      const contents = readFileSync(args.path, "utf8").replace(barrelImport, (statement, list, barrel) => {
        const kept = []
        const deep = []
        for (const specifier of list
          .split(",")
          .map((each) => each.trim())
          .filter(Boolean)) {
          const [name, alias = name] = specifier.split(/\s+as\s+/)
          const module = modules[barrel].get(name)
          if (module === undefined) kept.push(specifier)
          else deep.push(`import * as ${alias} from "${module}";`)
        }
        // As many lines as the statement replaced, so that tsc's source maps still match.
        const lines = "\n".repeat(statement.split("\n").length - 1)
        return (
          [...deep, ...(kept.length > 0 ? [`import { ${kept.join(", ")} } from "${barrel}";`] : [])].join(
            " ",
          ) + lines
        )
      })
      return { contents, loader: "js" }
    })
  },
})

if (!process.argv.includes("--if-stale") || stale()) await build()
