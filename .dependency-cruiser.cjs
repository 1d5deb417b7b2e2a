/**
 * The dependency rule of DESIGN.md §3: domain ← ports ← programs ← adapters ← composition roots. The
 * simulation (src/simulation/) is a rig beside the product: it may import the product, the product
 * imports it only at the composition roots and where the CLI registers `simulate`.
 */
const roots = "^src/(main|bin|index)\\.ts$"
const compositionRoots = [roots, "^src/app/"]
/** The CLI module that registers the `simulate` command (the engine itself stays a dynamic import there). */
const simulateCommandRegistration = "^src/adapters/cli/SimulateCommand\\.ts$"
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
      from: { path: "^src/", pathNot: [roots, "^src/adapters/", "^src/simulation/"] },
      to: { path: "^src/adapters/" },
    },
    {
      name: "product-does-not-import-simulation",
      comment:
        "src/simulation is the test rig (GitHub stand-in, baseline, simulate engine): nothing in the product imports it except the composition roots and the CLI module that registers `simulate`.",
      severity: "error",
      from: {
        path: "^src/",
        pathNot: ["^src/simulation/", ...compositionRoots, simulateCommandRegistration],
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
