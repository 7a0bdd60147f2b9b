import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import type { EmbeddedEngine } from "./engine-embedded.ts";

const MARKER = ".rbee-engine.json";

/** The folder an engine unpacks to: one per version and archive hash, never shared. */
export function engineDir(cacheRoot: string, engine: EmbeddedEngine): string {
  return join(cacheRoot, `${engine.version}-${engine.hash.slice(0, 16)}`);
}

function isComplete(dir: string, engine: EmbeddedEngine): boolean {
  try {
    return JSON.parse(readFileSync(join(dir, MARKER), "utf8")).hash === engine.hash;
  } catch {
    return false;
  }
}

async function untar(archive: Uint8Array, into: string): Promise<void> {
  const tar = Bun.spawn(["tar", "-xzf", "-", "-C", into], { stdin: "pipe", stdout: "ignore", stderr: "pipe" });
  tar.stdin.write(archive);
  await tar.stdin.end();
  const [code, stderr] = await Promise.all([tar.exited, new Response(tar.stderr).text()]);
  if (code !== 0) throw new Error(`tar exited ${code}: ${stderr.trim()}`);
}

/**
 * Make sure the embedded engine is unpacked under `cacheRoot` and return its folder.
 * First use unpacks into a temp folder beside it and renames it into place: readers never
 * see half a folder, and when two processes race, one rename wins and the other uses it.
 */
export async function ensureEngineUnpacked(engine: EmbeddedEngine, cacheRoot: string): Promise<string> {
  const dir = engineDir(cacheRoot, engine);
  if (isComplete(dir, engine)) return dir;
  const started = performance.now();
  narrate("engine_unpack", `Unpacking the llama.cpp engine ${engine.version} (first use) into ${dir}`);
  const bytes = await Bun.file(engine.archive).bytes();
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== engine.hash) {
    throw new RbeeError("ENGINE_CORRUPT", `The engine inside this rbee binary is damaged (hash ${actual.slice(0, 12)}, expected ${engine.hash.slice(0, 12)}).`, "Download or build rbee again.", 500);
  }
  mkdirSync(cacheRoot, { recursive: true });
  const tmp = mkdtempSync(join(cacheRoot, ".unpack-"));
  try {
    await untar(bytes, tmp);
    writeFileSync(join(tmp, MARKER), JSON.stringify({ version: engine.version, hash: engine.hash }));
    // A folder left without a valid marker (never by us: we rename whole folders) is replaced.
    if (existsSync(dir) && !isComplete(dir, engine)) rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another process won the race (rename onto a non-empty folder fails): use its copy.
      if (!isComplete(dir, engine)) throw err;
    }
  } catch (err) {
    throw new RbeeError("ENGINE_UNPACK_FAILED", `Could not unpack the llama.cpp engine into ${dir}: ${err instanceof Error ? err.message : String(err)}`, "Check free disk space and that the cache folder is writable (RBEE_HOME or XDG_CACHE_HOME).", 500);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  narrate("engine_unpacked", `Engine ready in ${Math.round(performance.now() - started)} ms`);
  return dir;
}
