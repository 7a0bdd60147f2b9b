import { createRequire } from "node:module";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import { embeddedEngine } from "../worker/engine-embedded.ts";
import { enginePackages, packageDir, type GpuBackend } from "./backends.ts";
import { downloadTarball, packageDist, registryUrl } from "./npm-registry.ts";

/** Written into each installed package folder: what it is and where it came from. */
export const ENGINE_MARKER = ".rbee-engine.json";

export interface InstalledPackage {
  name: string;
  version: string;
  source: string;
  integrity?: string;
}

/** node-llama-cpp's version: GPU engines must match it exactly (the binding refuses others). */
export function bindingVersion(): string {
  if (embeddedEngine) return embeddedEngine.version;
  const pkg = createRequire(import.meta.url).resolve("node-llama-cpp/package.json");
  return (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
}

export interface InstallOptions {
  backend: GpuBackend;
  /** Package tarballs already on this machine (no registry needed). */
  from?: string[];
  registry?: string;
  signal?: AbortSignal;
}

async function untarInto(bytes: Uint8Array, into: string): Promise<void> {
  // npm tarballs hold one folder, `package/`; GNU tar drops `..` and leading `/` from names.
  const tar = Bun.spawn(["tar", "-xzf", "-", "-C", into, "--strip-components=1", "--no-same-owner"], { stdin: "pipe", stdout: "ignore", stderr: "pipe" });
  tar.stdin.write(bytes);
  await tar.stdin.end();
  const [code, stderr] = await Promise.all([tar.exited, new Response(tar.stderr).text()]);
  if (code !== 0) throw new Error(stderr.trim().split("\n").slice(-2).join("; ") || `tar exited ${code}`);
}

/**
 * Unpacks one tarball into a temp folder beside its final place and checks that it is the
 * package we expect, at the engine's version. Returns the temp folder, ready to rename.
 */
async function stage(bytes: Uint8Array, expected: string[], version: string, source: string, integrity?: string): Promise<{ name: string; tmp: string }> {
  const parent = dirname(packageDir(expected[0]));
  mkdirSync(parent, { recursive: true });
  const tmp = mkdtempSync(join(parent, ".install-"));
  try {
    await untarInto(bytes, tmp).catch((err) => {
      throw new RbeeError("ENGINE_ARCHIVE_BAD", `${source} is not a complete package tarball (${(err as Error).message}); nothing was installed`, "Fetch it again (`npm pack PACKAGE@VERSION`), or install from the registry.", 422);
    });
    let pkg: { name?: string; version?: string };
    try {
      pkg = JSON.parse(readFileSync(join(tmp, "package.json"), "utf8"));
    } catch {
      throw new RbeeError("ENGINE_ARCHIVE_BAD", `${source} has no package.json; it is not an npm package tarball`, `Expected one of ${expected.join(", ")} at ${version}.`, 422);
    }
    if (!pkg.name || !expected.includes(pkg.name) || pkg.version !== version) {
      throw new RbeeError("ENGINE_MISMATCH", `${source} is ${pkg.name}@${pkg.version}; this engine needs ${expected.join(" or ")} at ${version}`, `\`npm pack ${expected[0]}@${version}\` makes the right tarball.`, 422);
    }
    writeFileSync(join(tmp, ENGINE_MARKER), JSON.stringify({ name: pkg.name, version, source, ...(integrity ? { integrity } : {}), installed_at: new Date().toISOString() }));
    return { name: pkg.name, tmp };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Swaps each staged folder into place: the old copy moves aside first, then goes. */
function commit(staged: { name: string; tmp: string }[]): void {
  for (const { name, tmp } of staged) {
    const dir = packageDir(name);
    const old = existsSync(dir) ? `${tmp}.old` : undefined;
    if (old) renameSync(dir, old);
    renameSync(tmp, dir);
    if (old) rmSync(old, { recursive: true, force: true });
  }
}

/**
 * Installs a GPU engine on this machine: from the npm registry (sha512 checked against the
 * registry's integrity) or from tarballs given as files. Every package is unpacked and
 * checked in a temp folder first; only complete, verified packages are renamed into place,
 * so a failure leaves what was there before and no half-unpacked folder.
 */
export async function installEngine(opts: InstallOptions): Promise<InstalledPackage[]> {
  const packages = enginePackages(opts.backend);
  if (!packages.length) {
    throw new RbeeError("ENGINE_UNSUPPORTED", `no prebuilt ${opts.backend} engine exists for ${process.platform}-${process.arch}`, "Vulkan and CUDA engines exist for linux-x64 and win-x64, Metal for macOS on Apple silicon.", 422);
  }
  const version = bindingVersion();
  const staged: { name: string; tmp: string }[] = [];
  const installed: InstalledPackage[] = [];
  try {
    if (opts.from?.length) {
      for (const file of opts.from) {
        if (!existsSync(file)) throw new RbeeError("FILE_NOT_FOUND", `no file ${file} on this hive`, "Give the tarball's absolute path on the hive's machine.", 404);
        narrate("engine_unpack", `unpacking ${basename(file)} (${opts.backend} engine)`);
        const s = await stage(readFileSync(file), packages, version, file);
        staged.push(s);
        installed.push({ name: s.name, version, source: file });
      }
      if (!staged.some((s) => s.name === packages[0])) {
        throw new RbeeError("ENGINE_MISMATCH", `the ${opts.backend} engine needs ${packages[0]}@${version}; the files given hold ${staged.map((s) => s.name).join(", ")}`, `\`npm pack ${packages[0]}@${version}\` makes it.`, 422);
      }
    } else {
      const registry = opts.registry ?? registryUrl();
      for (const name of packages) {
        narrate("engine_fetch", `fetching ${name}@${version} from ${registry}`);
        const dist = await packageDist(registry, name, version, opts.signal);
        const bytes = await downloadTarball(name, dist, opts.signal);
        narrate("engine_verified", `${name}: sha512 matches the registry (${dist.integrity.slice(0, 19)}…); unpacking`);
        const s = await stage(bytes, packages, version, dist.tarball, dist.integrity);
        staged.push(s);
        installed.push({ name, version, source: dist.tarball, integrity: dist.integrity });
      }
    }
    opts.signal?.throwIfAborted();
    commit(staged);
  } finally {
    for (const s of staged) rmSync(s.tmp, { recursive: true, force: true });
  }
  narrate("engine_installed", `${opts.backend} engine ${version} installed (${installed.map((p) => p.name).join(", ")})`);
  return installed;
}

/** Removes a GPU engine's packages; workers already running keep their loaded copy. */
export function removeEngine(backend: GpuBackend): string[] {
  const removed = enginePackages(backend).filter((name) => existsSync(packageDir(name)));
  if (!removed.length) throw new RbeeError("ENGINE_NOT_INSTALLED", `no ${backend} engine is installed on this hive`, "See `rbee engine list`.", 404);
  for (const name of removed) {
    // Renamed away first, so a reader never sees half a package.
    const gone = `${packageDir(name)}.removing-${process.pid}`;
    renameSync(packageDir(name), gone);
    rmSync(gone, { recursive: true, force: true });
  }
  narrate("engine_removed", `${backend} engine removed (${removed.join(", ")})`);
  return removed;
}
