/**
 * Builds dist/rbee: one executable for every role (keeper, queen, hive, worker).
 * Facts this rests on (see DESIGN.md): ESM + bytecode because yoga-layout uses top-level
 * await; cpu-features is ssh2's optional native speed-up and is left out; ink imports
 * react-devtools-core only in development, so it is stubbed.
 * node-llama-cpp cannot be bundled: its files (and dependencies, ~42 MB) are packed into
 * dist/engine/engine.tar.gz, embedded, and unpacked on first use (src/worker/engine.ts).
 */
import { mkdirSync } from "node:fs";
import pkg from "./package.json" with { type: "json" };
import { embedEnginePlugin, packEngine } from "./src/worker/engine-pack.ts";

const outfile = process.argv[2] ?? "dist/rbee";
mkdirSync("dist", { recursive: true });
const engine = packEngine(import.meta.dir, "dist/engine");

const result = await Bun.build({
  entrypoints: ["./src/main.ts"],
  // autoloadPackageJson: the unpacked engine's package.json files ("type": "module") must be read.
  compile: { outfile, autoloadPackageJson: true },
  format: "esm",
  bytecode: true,
  minify: true,
  target: "bun",
  external: ["cpu-features", "node-llama-cpp"],
  define: {
    "process.env.NODE_ENV": JSON.stringify("production"),
    RBEE_VERSION: JSON.stringify(pkg.version),
  },
  plugins: [
    embedEnginePlugin(engine),
    {
      name: "stub-react-devtools",
      setup(build) {
        build.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: "react-devtools-core", namespace: "stub" }));
        build.onLoad({ filter: /.*/, namespace: "stub" }, () => ({ contents: "export default {};", loader: "js" }));
      },
    },
  ],
});

if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log(`built ${outfile} (engine ${engine.version}, ${(engine.bytes / 1e6).toFixed(1)} MB packed)`);
