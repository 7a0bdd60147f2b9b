import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startStallingServer } from "../helpers/slow-server.ts";
import { runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

/** Posts a model_download and reads its stream to the end: [status, the whole stream text]. */
async function download(queen: Daemon, model: string): Promise<[number, string]> {
  const created = await fetch(`${queen.url}/v1/jobs`, { method: "POST", body: JSON.stringify({ operation: "model_download", model }) });
  if (created.status !== 201) return [created.status, await created.text()];
  const { sse_url } = (await created.json()) as { sse_url: string };
  return [201, await (await fetch(`${queen.url}${sse_url}`)).text()];
}

describe("compiled rbee: model sources are untrusted input", () => {
  let home: ReturnType<typeof tempHome>;
  let queen: Daemon;

  beforeEach(async () => {
    home = tempHome();
    queen = await startRbeeDaemon(["serve", "--port", "0", "--download-stall-timeout", "300ms"], { RBEE_HOME: home.home });
  });
  afterEach(async () => {
    await queen?.stop();
    home.cleanup();
  });

  it("a path out of the model folders is refused without reading the file or echoing the path", async () => {
    for (const source of ["../../etc/passwd", "/etc/passwd", "../../../../../../etc/shadow"]) {
      const [status, stream] = await download(queen, source);
      expect(status).toBe(201);
      expect(stream).toContain("data: [ERROR] local model files are read only from this hive's model folders");
      expect(stream).not.toMatch(/root|passwd|shadow/);
    }
  });

  it("markup and SQL in a source are refused without being echoed; control characters get 400", async () => {
    for (const source of ["<script>alert(1)</script>", "x'; DROP TABLE models; --", "hf:<b>x</b>/y"]) {
      const [, stream] = await download(queen, source);
      expect(stream).toContain("data: [ERROR]");
      expect(stream).not.toMatch(/<script|<b>|DROP TABLE|alert/);
    }
    for (const source of ["hf:org/repo\n", "demo:tiny\r\nX: y", "a\u202egguf.exe"]) {
      const [status, body] = await download(queen, source);
      expect(status).toBe(400);
      expect(JSON.parse(body).error.message).toContain("control characters are not allowed");
    }
  });

  it("a file in the import folder is copied; one that is not GGUF fails without showing its first bytes", async () => {
    const importDir = `${home.home}/data/import`;
    await Bun.write(`${importDir}/notes.gguf`, "root:x:0:0:root:/root:/bin/bash\n");
    const [, notes] = await download(queen, "notes.gguf");
    expect(notes).toContain("data: [ERROR] notes.gguf is not a GGUF file (it does not start with the GGUF magic)");
    expect(notes).not.toContain("root");
    expect((await runRbee(["model", "download", "demo:tiny", "--queen-url", queen.url], { RBEE_HOME: home.home })).code).toBe(0);
    await Bun.write(`${importDir}/copy.gguf`, Bun.file(`${home.home}/data/models/demo-tiny.gguf`));
    const copied = await runRbee(["model", "download", "copy.gguf", "--queen-url", queen.url], { RBEE_HOME: home.home });
    expect(copied.code).toBe(0);
    expect(copied.stdout).toMatch(/^copy\s+llama/m);
  });

  it("a download that goes silent after 64 bytes retries, resuming, and fails within seconds naming the stall", async () => {
    const source = await startStallingServer(1024 * 1024, 64);
    try {
      const started = performance.now();
      const res = await runRbee(["model", "download", source.url, "--queen-url", queen.url], { RBEE_HOME: home.home }, 60_000);
      const took = performance.now() - started;
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/sent nothing for 0\.3 s \(gave up after 3 attempts\)/);
      expect(source.ranges).toEqual([null, "bytes=64-", "bytes=64-"]);
      expect(took).toBeLessThan(20_000);
    } finally {
      await source.stop();
    }
  });
});
