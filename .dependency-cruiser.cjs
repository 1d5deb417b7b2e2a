/** The dependency rule of DESIGN.md §3: domain ← ports ← programs ← adapters ← composition roots. */
const roots = "^src/(main|bin|index)\\.ts$"
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
      from: { path: "^src/", pathNot: [roots, "^src/adapters/"] },
      to: { path: "^src/adapters/" },
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
