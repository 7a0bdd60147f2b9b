import { createRequire } from "node:module";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { embeddedEngine } from "../worker/engine-embedded.ts";
import { engineDir } from "../worker/engine-unpack.ts";
import type { CpuBuild } from "./cpu-engine.ts";
import { enginePackages, engineCacheRoot, GPU_BACKENDS, packageDir, type Backend } from "./backends.ts";
import { engineInstalled } from "./devices.ts";
import { bindingVersion } from "./engine-install.ts";
import { runProbe } from "./probe-child.ts";

export interface EngineInfo {
  backend: Backend;
  installed: boolean;
  version?: string;
  packages: string[];
  size_bytes?: number;
  path?: string;
  /** Whether llama.cpp starts on it here (checked in a child process). */
  loads?: boolean;
  /** CPU only: which CPU engine workers get here, the OpenMP build or the prebuilt one. */
  build?: CpuBuild;
  error?: string;
  hint?: string;
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

function cpuEnginePath(): string {
  if (embeddedEngine) return engineDir(engineCacheRoot(), embeddedEngine);
  return dirname(createRequire(import.meta.url).resolve("node-llama-cpp/package.json"));
}

/**
 * The engines of this hive: the built-in CPU one, and each GPU backend this platform has a
 * prebuilt engine for, installed or not. Installed ones are started once in a child process
 * to tell whether they load here, and if not, what is missing.
 */
export async function listEngines(): Promise<EngineInfo[]> {
  const rows: EngineInfo[] = [{ backend: "cpu", installed: true, version: bindingVersion(), packages: ["node-llama-cpp"], path: cpuEnginePath() }];
  for (const backend of GPU_BACKENDS) {
    const packages = enginePackages(backend);
    if (!packages.length) continue;
    if (!engineInstalled(backend)) {
      rows.push({ backend, installed: false, packages, hint: `rbee engine install ${backend}` });
      continue;
    }
    const present = packages.filter((p) => { try { return statSync(packageDir(p)).isDirectory(); } catch { return false; } });
    const pkg = JSON.parse(readFileSync(join(packageDir(packages[0]), "package.json"), "utf8")) as { version: string };
    rows.push({ backend, installed: true, version: pkg.version, packages: present, path: packageDir(packages[0]), size_bytes: present.reduce((n, p) => n + folderBytes(packageDir(p)), 0) });
  }
  await Promise.all(
    rows.map(async (row) => {
      if (!row.installed) return;
      const report = await runProbe(row.backend);
      row.loads = report.loads;
      if (report.build) row.build = report.build;
      if (report.error) Object.assign(row, { error: report.error.message, hint: report.error.hint });
    }),
  );
  // The CPU engine unpacks on first use (the probe above did it if nothing had yet).
  if (rows[0].path && existsSync(rows[0].path)) rows[0].size_bytes = folderBytes(rows[0].path);
  return rows;
}
