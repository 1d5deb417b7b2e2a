/**
 * The dependency rule of DESIGN.md §3: domain ← ports ← programs ← adapters ← composition roots. The
 * simulation (src/simulation/) is a rig beside the product: it may import the product, the product
 * imports it only at the composition roots and where the CLI registers `simulate`.
 */
const entries = "^src/(main|bin|index)\\.ts$"
/** The composition roots: the three entry points and the composition module they are a few lines over. */
const roots = [entries, "^src/app/"]
/** The CLI module that registers the `simulate` command (the engine itself stays a dynamic import there). */
const simulateCommandRegistration = "^src/adapters/cli/SimulateCommand\\.ts$"
/** The simulation rig composes adapters of every family; its own rules are below. */
const simulationRig = ["^src/simulation/"]
/**
 * Top-level adapter modules every family may use: the settings, the secrets, the dispatch result's
 * JSON, the deliveries in flight. The store adapters beside them (Object*, LocalDeliverySpool) are
 * picked by the composition, not imported by the edges.
 */
const sharedAdapterModules =
  "^src/adapters/(Settings|Secrets|GeneratedSecret|DispatchOutput|InFlightDeliveries)\\.ts$"
/**
 * What test support may take from src/adapters: an adapter's public face, the module that exports its
 * layers (most of them exported by the library too), and the CLI's runner; never the parts behind it.
 */
const adapterFaces = [
  "^src/adapters/(ObjectRunIndexStore|ObjectRequestStore|ObjectDeliveryLog|ObjectDispatchLanes|LocalDeliverySpool|InFlightDeliveries|AttemptEventHub|PromiseFacade|Settings)\\.ts$",
  "^src/adapters/objects/(ObjectStore|MemoryObjectStore|DirectoryObjectStore|S3Client|S3ObjectStore|S3BucketLifecycle|UnsupportedBucketLifecycle)\\.ts$",
  "^src/adapters/github/(OctokitClient|OctokitGateway|OctokitHookDeliveries|GitHubSimulator)\\.ts$",
  "^src/adapters/http/Server\\.ts$",
  "^src/adapters/cli/Main\\.ts$",
]
module.exports = {
  forbidden: [
    {
      name: "domain-imports-only-effect",
      comment: "src/domain is pure: it may import effect and other domain modules, nothing else.",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { pathNot: ["^src/domain/", "^node_modules/effect/"] },
    },
    {
      name: "ports-import-domain",
      comment: "src/ports may import effect, the domain and other ports: no SDK, no programs, no adapters.",
      severity: "error",
      from: { path: "^src/ports/" },
      to: { pathNot: ["^src/(domain|ports)/", "^node_modules/effect/"] },
    },
    {
      name: "programs-import-ports-and-domain",
      comment: "src/programs compose ports; they never reach an adapter or an SDK.",
      severity: "error",
      from: { path: "^src/programs/" },
      to: { pathNot: ["^src/(domain|ports|programs)/", "^node_modules/effect/"] },
    },
    {
      name: "only-roots-import-adapters",
      comment: "Nothing imports an adapter except the composition roots and other adapters.",
      severity: "error",
      from: { path: "^src/", pathNot: [...roots, "^src/adapters/", "^src/simulation/"] },
      to: { path: "^src/adapters/" },
    },
    {
      name: "product-does-not-import-simulation",
      comment:
        "src/simulation is the test rig (GitHub stand-in, baseline, simulate engine): nothing in the product imports it except the composition roots and the CLI module that registers `simulate`.",
      severity: "error",
      from: {
        path: "^src/",
        pathNot: ["^src/simulation/", ...roots, simulateCommandRegistration],
      },
      to: { path: "^src/simulation/" },
    },
    {
      name: "exported-simulator-is-self-contained",
      comment:
        "The package ships of dist/simulation/ only adapters/github/ (the GitHub simulator index.ts exports; package.json files): it may not import the rest of the simulation.",
      severity: "error",
      from: { path: "^src/simulation/adapters/github/" },
      to: { path: "^src/simulation/", pathNot: "^src/simulation/adapters/github/" },
    },
    {
      name: "simulation-domain-imports-only-domain",
      comment: "src/simulation/domain is pure like src/domain: effect and the two domains only.",
      severity: "error",
      from: { path: "^src/simulation/domain/" },
      to: { pathNot: ["^src/(simulation/)?domain/", "^node_modules/effect/"] },
    },
    {
      name: "simulation-programs-import-ports-and-domain",
      comment: "src/simulation/programs (the baseline) compose ports like src/programs: no adapter, no SDK.",
      severity: "error",
      from: { path: "^src/simulation/programs/" },
      to: { pathNot: ["^src/(simulation/)?(domain|programs)/", "^src/ports/", "^node_modules/effect/"] },
    },
    {
      name: "only-entries-import-the-composition",
      comment:
        "src/app composes the adapters for the entry points (bin, main, index); nothing below imports it back.",
      severity: "error",
      from: { path: "^src/", pathNot: [...roots, ...simulationRig] },
      to: { path: "^src/app/" },
    },
    {
      name: "adapter-families-apart",
      comment:
        "An adapter family (cli, http, github, objects) imports ports, programs, the domain, its own modules and the shared top-level ones; another family's adapters reach it only through the composition (src/app).",
      severity: "error",
      from: { path: "^src/adapters/(cli|http|github|objects)/", pathNot: simulationRig },
      to: {
        path: "^src/adapters/",
        pathNot: [
          "^src/adapters/$1/",
          sharedAdapterModules,
          // See cli-serve-through-composition below.
          "^src/adapters/http/Server\\.ts$",
        ],
      },
    },
    {
      name: "cli-serve-through-composition",
      comment:
        "The CLI's `serve` loads the HTTP service itself (a dynamic import): composition that belongs in src/app, left for the CLI's split (issue 15 item 4).",
      severity: "warn",
      from: { path: "^src/adapters/cli/", pathNot: simulationRig },
      to: { path: "^src/adapters/http/" },
    },
    {
      name: "store-adapters-below-the-edges",
      comment:
        "The top-level store adapters (Object*, the spool, the settings) build on objects/ and never on an edge (cli, http) or GitHub.",
      severity: "error",
      from: { path: "^src/adapters/[^/]+\\.ts$" },
      to: { path: "^src/adapters/(cli|http|github|simulation)/" },
    },
    {
      name: "test-support-uses-adapter-faces",
      comment:
        "Test support builds worlds from adapters' layers, the composition and the CLI's runner, never from the parts behind an adapter's layers.",
      severity: "error",
      from: { path: "^test/support/" },
      to: { path: "^src/adapters/", pathNot: adapterFaces },
    },
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    // Worktrees share one node_modules through a symlink: judge imports by the path as written.
    preserveSymlinks: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
    },
  },
}
