import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { narrate } from "../narration/narrate.ts";
import { ErrorBody, RbeeError } from "../protocol/errors.ts";
import type { EmbeddedEngine } from "./engine-embedded.ts";
import { UNPACK_ENV } from "./engine-probe.ts";

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
 * Inside the compiled binary a short-lived child does the unpacking: reading the archive
 * touches its ~17 MB of the mapped executable, which would otherwise stay resident for the
 * whole life of the worker that happened to unpack it.
 */
export async function ensureEngineUnpacked(engine: EmbeddedEngine, cacheRoot: string): Promise<string> {
  const dir = engineDir(cacheRoot, engine);
  if (isComplete(dir, engine)) return dir;
  const started = performance.now();
  narrate("engine_unpack", `Unpacking the llama.cpp engine ${engine.version} (first use) into ${dir}`);
  if (isEmbedded(engine.archive) && !process.env[UNPACK_ENV]) await unpackInChild(cacheRoot, dir, engine);
  else await unpackHere(engine, cacheRoot, dir);
  narrate("engine_unpacked", `Engine ready in ${Math.round(performance.now() - started)} ms`);
  return dir;
}

/** A file inside the compiled binary (Bun's embedded file system), not one on disk. */
const isEmbedded = (path: string) => path.startsWith("/$bunfs/");

/** Runs this executable as the unpacking child; its failure comes back as the RbeeError it threw. */
async function unpackInChild(cacheRoot: string, dir: string, engine: EmbeddedEngine): Promise<void> {
  const child = Bun.spawn([process.execPath], { env: { ...process.env, [UNPACK_ENV]: cacheRoot }, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
  if (code === 0 && isComplete(dir, engine)) return;
  const parsed = ErrorBody.safeParse(parseJson(stderr.trim().split("\n").at(-1) ?? ""));
  if (parsed.success) throw new RbeeError(parsed.data.error.code, parsed.data.error.message, parsed.data.error.hint, 500);
  throw new RbeeError("ENGINE_UNPACK_FAILED", `Could not unpack the llama.cpp engine into ${dir}: the unpacking process exited ${code}: ${stderr.trim().slice(-300)}`, "Check free disk space and that the cache folder is writable (RBEE_HOME or XDG_CACHE_HOME).", 500);
}

/** A line as JSON, or undefined when it is not (a child that crashed says something else). */
function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** The unpacking child's whole life: unpack, say what went wrong as an error body on stderr, exit. */
export async function runUnpackChild(engine: EmbeddedEngine | undefined, cacheRoot: string): Promise<number> {
  try {
    if (!engine) throw new RbeeError("ENGINE_UNPACK_FAILED", "This rbee binary carries no engine to unpack.", "Build rbee with `bun run build`.", 500);
    await unpackHere(engine, cacheRoot, engineDir(cacheRoot, engine));
    return 0;
  } catch (err) {
    process.stderr.write(`\n${JSON.stringify(RbeeError.from(err).toBody())}\n`);
    return 1;
  }
}

async function unpackHere(engine: EmbeddedEngine, cacheRoot: string, dir: string): Promise<void> {
  if (isComplete(dir, engine)) return;
  const bytes = await Bun.file(engine.archive).bytes();
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== engine.hash) {
    throw new RbeeError("ENGINE_CORRUPT", `The engine inside this rbee binary is damaged (hash ${actual.slice(0, 12)}, expected ${engine.hash.slice(0, 12)}).`, "Download or build rbee again.", 500);
  }
  let tmp: string | undefined;
  try {
    mkdirSync(cacheRoot, { recursive: true });
    tmp = mkdtempSync(join(cacheRoot, ".unpack-"));
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
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
