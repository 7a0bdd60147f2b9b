import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { collect, demoModelDir, infer } from "../helpers/worker-harness.ts";

const MAIN = resolve(import.meta.dirname, "../../src/main.ts");

/** `rbee worker serve` from source, in its own process: a bad model may abort a process. */
function spawnWorker(args: string[]) {
  return Bun.spawn(["bun", MAIN, "worker", "serve", ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 60_000 });
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  for await (const chunk of stream) {
    text += new TextDecoder().decode(chunk);
    if (text.includes("\n")) break;
  }
  return text.split("\n")[0]!;
}

describe("rbee worker serve", () => {
  let model: ReturnType<typeof demoModelDir>;
  let proc: ReturnType<typeof spawnWorker> | undefined;
  beforeEach(() => { model = demoModelDir(); });
  afterEach(async () => {
    if (proc && proc.exitCode === null) {
      proc.kill("SIGKILL");
      await proc.exited;
    }
    proc = undefined;
    model.cleanup();
  });

  it("prints a ready line, serves, and exits 0 on SIGTERM", async () => {
    // given a worker process on a free port
    proc = spawnWorker(["--model", model.modelPath, "--model-id", "demo-tiny", "--port", "0", "--slots", "2", "--threads", "1"]);
    // when it is ready
    const ready = JSON.parse(await firstLine(proc.stdout as ReadableStream<Uint8Array>));
    expect(ready).toMatchObject({ event: "ready", port: expect.any(Number), load_ms: expect.any(Number) });
    // then it answers inference over HTTP
    const events = await collect(await infer(`http://127.0.0.1:${ready.port}`, { prompt: "hi", max_tokens: 5 }));
    expect(events.at(-1)!.data.tokens).toBe(5);
    // and SIGTERM stops it cleanly
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  });

  it.each([
    ["truncated", (bytes: Buffer) => bytes.subarray(0, 300_000), /not within the file bounds|corrupted or incomplete/],
    ["not a GGUF", () => Buffer.from("hello world ".repeat(100)), /GGUF magic/],
    ["future version", (bytes: Buffer) => { const b = Buffer.from(bytes); b.writeUInt32LE(9, 4); return b; }, /version 9/],
  ])("a corrupt model (%s) fails with a clear reason and exit 1", async (_name, corrupt, reason) => {
    // given a damaged copy of a good model
    const bad = join(model.dir, "bad.gguf");
    writeFileSync(bad, corrupt(Buffer.from(await Bun.file(model.modelPath).arrayBuffer())));
    // when a worker tries to load it
    proc = spawnWorker(["--model", bad, "--port", "0"]);
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    // then it exits 1, telling the supervisor (stdout JSON) and the user (stderr) why
    expect(code).toBe(1);
    const failed = JSON.parse(stdout.trim().split("\n").at(-1)!);
    expect(failed).toMatchObject({ event: "failed", error: { code: "MODEL_LOAD_FAILED" } });
    expect(failed.error.message).toMatch(reason);
    expect(stderr).toMatch(/✗ MODEL_LOAD_FAILED: Could not load .*bad\.gguf/);
  });

  it("a missing model file says so", async () => {
    proc = spawnWorker(["--model", join(model.dir, "nope.gguf"), "--port", "0"]);
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(1);
    expect(stderr).toContain("MODEL_NOT_FOUND");
  });

  it("misuse exits 2", async () => {
    proc = spawnWorker(["--model", model.modelPath, "--port", "0", "--slots", "0"]);
    expect(await proc.exited).toBe(2);
  });
});
