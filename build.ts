/**
 * Builds rbee: one executable for every role (keeper, queen, hive, worker).
 *   bun build.ts                    dist/rbee for this machine (what the tests run)
 *   bun build.ts --target ID        dist/rbee-ID (linux-x64, linux-arm64, darwin-arm64)
 *   bun build.ts --all              all three, and dist/rbee for this machine
 * Bun cross-compiles: the target's runtime comes from the npm registry on first use.
 * Facts this rests on (see DESIGN.md): ESM + bytecode because yoga-layout uses top-level
 * await; cpu-features is ssh2's optional native speed-up and is left out; ink imports
 * react-devtools-core only in development, so it is stubbed.
 * node-llama-cpp cannot be bundled: its files (and dependencies, ~42 MB) with the target's
 * prebuilt engine are packed into dist/engine/<target>/engine.tar.gz, embedded, and unpacked
 * on first use (src/worker/engine.ts); with the OpenMP CPU engine beside it when
 * `bun run build:engine` (build-engine.ts) has built one for the target. A target whose engine pair cannot live in the
 * project's node_modules (another platform's package, another node-llama-cpp version) has
 * its own engines/<target>/ with a lockfile, installed here for that platform.
 */
import { copyFileSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import pkg from "./package.json" with { type: "json" };
import { BUILD_TARGETS, binaryName, hostTarget, targetById, type BuildTarget } from "./src/config/build-targets.ts";
import { embedEnginePlugin, packEngine } from "./src/worker/engine-pack.ts";

function installEngineRoot(t: BuildTarget): string {
  const root = join(import.meta.dir, t.engineRoot);
  if (t.engineRoot === ".") return root;
  // --os/--cpu: bun skips packages made for another platform unless told which one to install for.
  const r = Bun.spawnSync(["bun", "install", "--frozen-lockfile", `--os=${t.platform}`, `--cpu=${t.arch}`], { cwd: root, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`bun install in ${t.engineRoot} failed:\n${r.stderr.toString()}`);
  return root;
}

async function build(t: BuildTarget, outfile: string): Promise<void> {
  const engine = packEngine(installEngineRoot(t), t.enginePackage, join("dist", "engine", t.id), t);
  // Written beside, then renamed: a running copy of the old binary is never overwritten in place.
  const tmp = `${outfile}.tmp-${process.pid}`;
  const result = await Bun.build({
    entrypoints: ["./src/main.ts"],
    // autoloadPackageJson: the unpacked engine's package.json files ("type": "module") must be read.
    compile: { outfile: tmp, target: t.bunTarget as Bun.Build.CompileTarget, autoloadPackageJson: true },
    format: "esm",
    bytecode: true,
    // Lazily imported commands and rooms become chunks of their own: a process loads only the
    // code it runs (rbee --version 60 → 55 MiB RSS, a worker −3 MiB).
    splitting: true,
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
  renameSync(tmp, outfile);
  console.log(`built ${outfile} (${t.id}, engine ${t.enginePackage}@${engine.version}${engine.cpuBuild === "openmp" ? " + the OpenMP CPU engine" : ""}, ${(engine.bytes / 1e6).toFixed(1)} MB packed)`);
}

const args = process.argv.slice(2);
const host = hostTarget();
mkdirSync("dist", { recursive: true });
if (args.includes("--all")) {
  for (const t of BUILD_TARGETS) await build(t, join("dist", binaryName(t)));
  if (host) {
    copyFileSync(join("dist", binaryName(host)), "dist/rbee.tmp");
    renameSync("dist/rbee.tmp", "dist/rbee");
    console.log(`dist/rbee is dist/${binaryName(host)} (this machine)`);
  }
} else if (args.includes("--target")) {
  const id = args[args.indexOf("--target") + 1] ?? "";
  const t = targetById(id);
  if (!t) throw new Error(`unknown target ${JSON.stringify(id)}: one of ${BUILD_TARGETS.map((b) => b.id).join(", ")}`);
  await build(t, join("dist", binaryName(t)));
} else {
  if (!host) throw new Error(`rbee is not built for ${process.platform}-${process.arch}: use --target ID`);
  await build(host, args[0] ?? "dist/rbee");
}
