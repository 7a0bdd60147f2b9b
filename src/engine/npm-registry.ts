import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ProgressNarrator } from "../model/progress.ts";
import { RbeeError } from "../protocol/errors.ts";

const DEFAULT_REGISTRY = "https://registry.npmjs.org/";
const METADATA_TIMEOUT_MS = 30_000;
/** A GPU engine is tens to hundreds of MB; a transfer silent this long is dead. */
const STALL_MS = 60_000;

/**
 * The npm registry to fetch engines from: RBEE_NPM_REGISTRY, else npm's own setting
 * (`npm_config_registry` in the environment, `registry=` in ~/.npmrc), else the public one.
 */
export function registryUrl(env: NodeJS.ProcessEnv = process.env): string {
  const fromNpmrc = () => {
    const rc = join(env.HOME || homedir(), ".npmrc");
    if (!existsSync(rc)) return undefined;
    return readFileSync(rc, "utf8").match(/^\s*registry\s*=\s*(\S+)/m)?.[1];
  };
  const url = env.RBEE_NPM_REGISTRY || env.npm_config_registry || fromNpmrc() || DEFAULT_REGISTRY;
  return url.endsWith("/") ? url : `${url}/`;
}

export interface PackageDist {
  tarball: string;
  integrity: string;
}

const unreachable = (what: string, registry: string, err: unknown) =>
  new RbeeError(
    "REGISTRY_UNREACHABLE",
    `could not fetch ${what} from ${registry}: ${err instanceof Error ? err.message : String(err)}`,
    "Check the hive's internet access or RBEE_NPM_REGISTRY; without internet, install from a file: `rbee engine install BACKEND --from FILE.tgz` (npm pack PACKAGE@VERSION makes one).",
    502,
  );

/** The registry's record of one version: where its tarball is and its sha512 integrity. */
export async function packageDist(registry: string, name: string, version: string, signal?: AbortSignal): Promise<PackageDist> {
  const url = `${registry}${name.replace("/", "%2f")}`;
  let doc: { versions?: Record<string, { dist?: Partial<PackageDist> }> };
  try {
    const res = await fetch(url, {
      headers: { accept: "application/vnd.npm.install-v1+json, application/json" },
      signal: AbortSignal.any([AbortSignal.timeout(METADATA_TIMEOUT_MS), ...(signal ? [signal] : [])]),
    });
    if (res.status === 404) throw new RbeeError("ENGINE_NOT_PUBLISHED", `${name} is not on the registry ${registry}`, "This backend has no prebuilt engine for this platform.", 404);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    doc = (await res.json()) as typeof doc;
  } catch (err) {
    if (err instanceof RbeeError || signal?.aborted) throw err;
    throw unreachable(`${name}'s metadata`, registry, err);
  }
  const dist = doc.versions?.[version]?.dist;
  if (!dist?.tarball || !dist.integrity?.startsWith("sha512-")) {
    const published = Object.keys(doc.versions ?? {}).slice(-5).join(", ") || "none";
    throw new RbeeError("ENGINE_NOT_PUBLISHED", `${name}@${version} (the engine's version) is not on ${registry}, or has no sha512 integrity; latest published: ${published}`, "GPU engines must match the CPU engine's node-llama-cpp version exactly.", 404);
  }
  return { tarball: dist.tarball, integrity: dist.integrity };
}

/** Downloads a tarball with progress narration, and checks it against the registry's sha512. */
export async function downloadTarball(name: string, dist: PackageDist, signal?: AbortSignal): Promise<Uint8Array> {
  const stall = new AbortController();
  let stallTimer = setTimeout(() => stall.abort(new Error(`no data for ${STALL_MS / 1000} s`)), STALL_MS);
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    const res = await fetch(dist.tarball, { signal: AbortSignal.any([stall.signal, ...(signal ? [signal] : [])]) });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    const length = Number(res.headers.get("content-length")) || undefined;
    const progress = new ProgressNarrator(name, 0, length);
    progress.start();
    for await (const chunk of res.body) {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => stall.abort(new Error(`no data for ${STALL_MS / 1000} s`)), STALL_MS);
      chunks.push(chunk);
      received += chunk.length;
      progress.tick(received);
    }
    progress.done(received);
  } catch (err) {
    if (signal?.aborted) throw err;
    throw unreachable(dist.tarball, new URL(dist.tarball).origin, stall.signal.aborted ? stall.signal.reason : err);
  } finally {
    clearTimeout(stallTimer);
  }
  const bytes = Buffer.concat(chunks);
  const actual = `sha512-${createHash("sha512").update(bytes).digest("base64")}`;
  if (actual !== dist.integrity) {
    throw new RbeeError(
      "ENGINE_INTEGRITY",
      `${name}: the downloaded tarball (${received} bytes) does not match the registry's integrity (got ${actual.slice(0, 27)}…, expected ${dist.integrity.slice(0, 27)}…); nothing was installed`,
      "Try again; if it persists, the registry or a proxy in between serves a different file.",
      502,
    );
  }
  return bytes;
}
