import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runWithNarration } from "../../src/narration/context.ts";
import type { JobEvent } from "../../src/protocol/events.ts";
import type { EmbeddedEngine } from "../../src/worker/engine-embedded.ts";
import { engineDir, ensureEngineUnpacked } from "../../src/worker/engine-unpack.ts";

const UNPACK = resolve(import.meta.dirname, "../../src/worker/engine-unpack.ts");

/** A small engine-shaped archive: node_modules/fake-engine/index.js. */
function makeArchive(dir: string, body = "export const answer = 42;\n"): EmbeddedEngine {
  const src = join(dir, "src");
  mkdirSync(join(src, "node_modules", "fake-engine"), { recursive: true });
  writeFileSync(join(src, "node_modules", "fake-engine", "index.js"), body);
  const archive = join(dir, "engine.tar.gz");
  const r = Bun.spawnSync(["tar", "-czf", archive, "-C", src, "node_modules"]);
  expect(r.exitCode).toBe(0);
  return { archive, hash: createHash("sha256").update(readFileSync(archive)).digest("hex"), version: "9.9.9" };
}

describe("engine unpacking", () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), "rbee-engine-")); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("unpacks once into <version>-<hash> and reuses it after", async () => {
    // given an embedded engine never unpacked
    const engine = makeArchive(dir);
    const cache = join(dir, "cache");
    const events: JobEvent[] = [];
    const ctx = { jobId: "t", correlationId: "t", emit: (e: JobEvent) => events.push(e) };
    // when it is asked for twice
    const first = await runWithNarration(ctx, () => ensureEngineUnpacked(engine, cache));
    const told = events.length;
    const second = await runWithNarration(ctx, () => ensureEngineUnpacked(engine, cache));
    // then both get the same folder, named by version and hash, holding the files
    expect(first).toBe(engineDir(cache, engine));
    expect(first).toContain(`9.9.9-${engine.hash.slice(0, 16)}`);
    expect(second).toBe(first);
    expect(readFileSync(join(first, "node_modules", "fake-engine", "index.js"), "utf8")).toContain("42");
    // and only the first use told the story; no temp folder is left
    expect(told).toBeGreaterThan(0);
    expect(events.length).toBe(told);
    expect(readdirSync(cache)).toEqual([`9.9.9-${engine.hash.slice(0, 16)}`]);
  });

  it("several processes unpacking at once all succeed and share one folder", async () => {
    const engine = makeArchive(dir);
    const cache = join(dir, "cache");
    const script = `import { ensureEngineUnpacked } from ${JSON.stringify(UNPACK)};
      console.log(await ensureEngineUnpacked(${JSON.stringify(engine)}, ${JSON.stringify(cache)}));`;
    const procs = Array.from({ length: 4 }, () => Bun.spawn(["bun", "-e", script], { stdout: "pipe", stderr: "pipe", stdin: "ignore" }));
    const results = await Promise.all(procs.map(async (p) => ({ code: await p.exited, out: (await new Response(p.stdout).text()).trim() })));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect(new Set(results.map((r) => r.out)).size).toBe(1);
    expect(readdirSync(cache)).toEqual([`9.9.9-${engine.hash.slice(0, 16)}`]);
  });

  it("a damaged archive is refused and leaves nothing behind", async () => {
    const engine = makeArchive(dir);
    const cache = join(dir, "cache");
    await expect(ensureEngineUnpacked({ ...engine, hash: "0".repeat(64) }, cache)).rejects.toMatchObject({ code: "ENGINE_CORRUPT" });
    expect(existsSync(cache) ? readdirSync(cache) : []).toEqual([]);
  });

  it("a folder without its completion marker is replaced, not trusted", async () => {
    const engine = makeArchive(dir);
    const cache = join(dir, "cache");
    const target = engineDir(cache, engine);
    mkdirSync(join(target, "node_modules"), { recursive: true });
    writeFileSync(join(target, "half-written"), "");
    const got = await ensureEngineUnpacked(engine, cache);
    expect(existsSync(join(got, "half-written"))).toBe(false);
    expect(existsSync(join(got, "node_modules", "fake-engine", "index.js"))).toBe(true);
  });
});
