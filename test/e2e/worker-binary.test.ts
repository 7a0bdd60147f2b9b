import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { binaryInTempDir } from "../helpers/rbee-binary.ts";
import { collect, infer } from "../helpers/worker-harness.ts";

/**
 * The compiled binary alone, copied into an empty folder (no node_modules anywhere near):
 * the engine must come out of the binary itself.
 */
describe("compiled rbee: worker serve with the embedded engine", () => {
  let bin: ReturnType<typeof binaryInTempDir>;
  let dir: string;
  beforeEach(() => {
    bin = binaryInTempDir("rbee-bin-");
    dir = bin.dir;
  });
  afterEach(() => bin.cleanup());

  async function serveOnce(): Promise<{ ready: any; stderr: string; code: number }> {
    const proc = bin.track(Bun.spawn([join(dir, "rbee"), "worker", "serve", "--model", "demo.gguf", "--port", "0", "--threads", "1"], {
      cwd: dir,
      env: { ...process.env, RBEE_HOME: join(dir, "home") },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    }));
    const stderrText = new Response(proc.stderr).text();
    let out = "";
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
      out += new TextDecoder().decode(chunk);
      if (out.includes("\n")) break;
    }
    const ready = JSON.parse(out.split("\n")[0]!);
    if (ready.event === "ready") {
      const events = await collect(await infer(`http://127.0.0.1:${ready.port}`, { prompt: "hi", max_tokens: 6 }));
      expect(events.at(-1)!.data.tokens).toBe(6);
    }
    proc.kill("SIGTERM");
    const code = await proc.exited;
    return { ready, stderr: await stderrText, code };
  }

  it("unpacks the engine on first use, reuses it after, and serves both times", async () => {
    // when the worker runs for the first time on this machine
    const first = await serveOnce();
    // then it unpacked the engine, loaded the model and served
    expect(first.ready).toMatchObject({ event: "ready" });
    expect(first.stderr).toContain("engine_unpack");
    expect(first.code).toBe(0);
    const engines = readdirSync(join(dir, "home", "cache", "engine"));
    expect(engines).toHaveLength(1);
    expect(engines[0]).toMatch(/^\d+\.\d+\.\d+-[0-9a-f]{16}$/);
    // and the second run finds it unpacked
    const second = await serveOnce();
    expect(second.ready).toMatchObject({ event: "ready" });
    expect(second.stderr).not.toContain("engine_unpack");
    expect(second.code).toBe(0);
  });

  it("a cache it cannot write to: the unpacking child's error comes back with its code and hint", async () => {
    // given a cache path that is a file, so no folder can be made in it (even as root)
    mkdirSync(join(dir, "home"));
    writeFileSync(join(dir, "home", "cache"), "not a folder");
    // when the worker runs for the first time
    const { ready } = await serveOnce();
    // then it fails the load with the unpack's own error and hint, not an internal one
    expect(ready).toMatchObject({ event: "failed", error: { code: "ENGINE_UNPACK_FAILED", hint: expect.stringContaining("cache folder is writable") } });
    expect(ready.error.message).toContain("ENOTDIR");
  });
});
