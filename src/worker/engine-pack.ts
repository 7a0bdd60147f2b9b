/**
 * Build-time half of the engine packaging: gathers node-llama-cpp, its prebuilt platform
 * package and every runtime dependency (the node_modules subset they need, in the same
 * layout) into one deterministic .tar.gz that build.ts embeds in the compiled binary.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { openmpBuildDir, type CpuBuild } from "../engine/cpu-engine.ts";

export const ENGINE_PACKAGE = "node-llama-cpp";

/**
 * Files nothing reads at run time: llama.cpp's source bundle and the clone and build trees
 * `bun run build:engine` leaves (its binaries are added on their own), maps, types.
 */
const SKIP = [/[\\/]llama[\\/]gitRelease\.bundle$/, /[\\/]node-llama-cpp[\\/]llama[\\/](llama\.cpp|localBuilds|lastBuild\.json)([\\/]|$)/, /\.map$/, /\.d\.ts$/, /\.d\.mts$/, /\.d\.cts$/];

/** What of the OpenMP build travels: node-llama-cpp's addon, llama.cpp's libraries and the metadata files. */
const BUILD_FILES = /(\.node|\.so(\.[\d.]+)?|\.json|\.txt)$/;

export interface EnginePack {
  archive: string;
  /** sha256 of the archive: the cache folder's name comes from it. */
  hash: string;
  /** node-llama-cpp's version. */
  version: string;
  packages: string[];
  bytes: number;
  /** Whether the OpenMP CPU engine (bun run build:engine) is packed beside the prebuilt one. */
  cpuBuild: CpuBuild;
}

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
}

const readPkg = (dir: string): PackageJson => JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));

/** Node's lookup: `<dir>/node_modules/<name>`, then each parent folder's, up to `root`. */
function resolvePackage(name: string, fromDir: string, root: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dir === root || dirname(dir) === dir) return undefined;
    dir = dirname(dir);
  }
}

/**
 * The binding and its prebuilt package must be one release: the version numbers, and the
 * llama.cpp release the package was built from against the one the binding expects.
 */
export function engineVersions(root: string, enginePackage: string): { binding: string; prebuilt: string; bindingRelease: string; prebuiltRelease: string } {
  const binding = join(root, "node_modules", ENGINE_PACKAGE);
  const prebuilt = join(root, "node_modules", enginePackage);
  const bins = join(prebuilt, "bins");
  const flavour = readdirSync(bins).find((d) => existsSync(join(bins, d, "_nlcBuildMetadata.json")));
  if (!flavour) throw new Error(`${enginePackage} has no bins/*/_nlcBuildMetadata.json`);
  const meta = JSON.parse(readFileSync(join(bins, flavour, "_nlcBuildMetadata.json"), "utf8"));
  return {
    binding: readPkg(binding).version,
    prebuilt: readPkg(prebuilt).version,
    bindingRelease: JSON.parse(readFileSync(join(binding, "llama", "binariesGithubRelease.json"), "utf8")).release,
    prebuiltRelease: meta.buildOptions.llamaCpp.release,
  };
}

/** Refuses a binding and prebuilt package of different releases (the addon would not load). */
export function assertEngineMatches(root: string, enginePackage: string): void {
  const v = engineVersions(root, enginePackage);
  if (v.binding !== v.prebuilt || v.bindingRelease !== v.prebuiltRelease) {
    throw new Error(`${ENGINE_PACKAGE}@${v.binding} (llama.cpp ${v.bindingRelease}) does not match ${enginePackage}@${v.prebuilt} (llama.cpp ${v.prebuiltRelease}) in ${root}`);
  }
}

/**
 * Every package folder the engine needs, as paths relative to `<root>/node_modules`:
 * node-llama-cpp, the one prebuilt package (CUDA/Vulkan builds are left out: 85 MB vs 725 MB)
 * and their dependencies.
 */
export function engineClosure(root: string, enginePackage: string): string[] {
  // The folder may be a link (a worktree sharing node_modules): compare real paths.
  const modules = realpathSync(join(root, "node_modules"));
  const top = dirname(modules);
  const found = new Set<string>();
  const queue: string[] = [];
  const add = (name: string, fromDir: string) => {
    const dir = resolvePackage(name, fromDir, top);
    if (!dir) throw new Error(`${name} is not installed (needed by the engine, looked from ${fromDir})`);
    const rel = relative(modules, realpathSync(dir));
    if (rel.startsWith("..")) throw new Error(`${name} resolves outside ${modules}: ${dir}`);
    if (!found.has(rel)) {
      found.add(rel);
      queue.push(rel);
    }
  };
  add(ENGINE_PACKAGE, top);
  add(enginePackage, top);
  while (queue.length) {
    const rel = queue.shift()!;
    const dir = join(modules, rel);
    // Optional dependencies are other platforms' engines and native speed-ups: left out.
    for (const dep of Object.keys(readPkg(dir).dependencies ?? {})) add(dep, dir);
  }
  return [...found].sort();
}

function run(cmd: string[], cwd: string): Uint8Array {
  const r = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/**
 * Pack the engine into `<outDir>/engine.tar.gz` (reused while the package set is unchanged).
 * Deterministic: sorted names, fixed times and owners, gzip without a timestamp.
 */
export function packEngine(root: string, enginePackage: string, outDir: string, target?: { platform: string; arch: string }): EnginePack {
  assertEngineMatches(root, enginePackage);
  const packages = engineClosure(root, enginePackage);
  const modules = join(root, "node_modules");
  const version = readPkg(join(modules, ENGINE_PACKAGE)).version;
  const openmp = openmpBuildFiles(join(modules, ENGINE_PACKAGE), target);
  const cpuBuild: CpuBuild = openmp.length ? "openmp" : "prebuilt";
  const listing = [
    ...packages.map((rel) => `${rel}@${readPkg(join(modules, rel)).version}`),
    // A rebuilt engine (new sizes or times) is packed again.
    ...openmp.map((f) => { const st = statSync(join(modules, ENGINE_PACKAGE, f)); return `${ENGINE_PACKAGE}/${f}@${st.size}:${Math.round(st.mtimeMs)}`; }),
  ];
  const archive = resolve(outDir, "engine.tar.gz");
  const manifestPath = join(outDir, "engine.json");
  if (existsSync(archive) && existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as EnginePack & { listing: string[] };
    if (JSON.stringify(manifest.listing) === JSON.stringify(listing) && manifest.version === version) {
      return { archive, hash: manifest.hash, version, packages, bytes: manifest.bytes, cpuBuild };
    }
  }

  const stage = join(outDir, "engine-stage");
  rmSync(stage, { recursive: true, force: true });
  for (const rel of packages) {
    const from = join(modules, rel);
    cpSync(from, join(stage, "node_modules", rel), {
      recursive: true,
      dereference: true,
      // A package's own node_modules holds nested packages; those needed are copied one by one.
      filter: (src) => {
        const inner = relative(from, src);
        if (inner.split(sep)[0] === "node_modules") return false;
        return !SKIP.some((re) => re.test(src));
      },
    });
  }
  for (const f of openmp) cpSync(join(modules, ENGINE_PACKAGE, f), join(stage, "node_modules", ENGINE_PACKAGE, f), { dereference: true });
  const tar = run(["tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-cf", "-", "node_modules"], stage);
  const gz = Bun.gzipSync(tar as Uint8Array<ArrayBuffer>, { level: 6 });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(archive, gz);
  rmSync(stage, { recursive: true, force: true });
  const pack: EnginePack = { archive, hash: createHash("sha256").update(gz).digest("hex"), version, packages, bytes: gz.length, cpuBuild };
  writeFileSync(manifestPath, JSON.stringify({ ...pack, listing }, null, 2));
  return pack;
}

/**
 * The OpenMP build's files to pack, relative to node-llama-cpp's folder: its Release binaries
 * and node-llama-cpp's "done" mark, when the build is there and made for the target.
 */
export function openmpBuildFiles(bindingDir: string, target?: { platform: string; arch: string }): string[] {
  const build = openmpBuildDir(bindingDir);
  if (!build) return [];
  const meta = JSON.parse(readFileSync(join(build, "Release", "_nlcBuildMetadata.json"), "utf8"));
  if (target && (meta.buildOptions.platform !== target.platform || meta.buildOptions.arch !== target.arch)) return [];
  const rel = relative(bindingDir, build);
  const files = readdirSync(join(build, "Release")).filter((f) => BUILD_FILES.test(f)).map((f) => join(rel, "Release", f));
  return [...files, join(rel, "buildDone.status")].sort();
}

/**
 * Bun.build plugin: swaps the source stub engine-embedded.ts for a module that embeds the
 * archive (`with {type: "file"}` puts it inside the compiled binary) and names its hash.
 */
export function embedEnginePlugin(pack: EnginePack): Bun.BunPlugin {
  return {
    name: "embed-engine",
    setup(build) {
      build.onLoad({ filter: /[\\/]src[\\/]worker[\\/]engine-embedded\.ts$/ }, () => ({
        loader: "ts",
        contents:
          `import archive from ${JSON.stringify(pack.archive)} with { type: "file" };\n` +
          `export const embeddedEngine = { archive, hash: ${JSON.stringify(pack.hash)}, version: ${JSON.stringify(pack.version)} };\n`,
      }));
    },
  };
}
