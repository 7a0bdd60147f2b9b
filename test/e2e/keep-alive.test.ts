import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerInfo } from "../../src/hive/worker-process.ts";
import { runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

/** `rbee worker list --json` (NDJSON) as objects. */
async function workerList(env: Record<string, string>): Promise<WorkerInfo[]> {
  const r = await runRbee(["worker", "list", "--json"], env);
  expect(r.code).toBe(0);
  return r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as WorkerInfo);
}

/** The log line's timestamp (ISO, first on the line) in ms. */
const lineTime = (log: string, pattern: RegExp) => {
  const line = log.split("\n").find((l) => pattern.test(l));
  return line ? Date.parse(line.split(" ")[0]!) : undefined;
};

describe("compiled rbee: serve --keep-alive 3s", () => {
  const home = tempHome();
  let queen: Daemon;
  let env: Record<string, string>;
  beforeAll(async () => {
    queen = await startRbeeDaemon(["serve", "--port", "0", "--keep-alive", "3s"], { RBEE_HOME: home.home });
    env = { RBEE_HOME: home.home, RBEE_QUEEN_URL: queen.url };
    expect((await runRbee(["model", "create-demo"], env)).code).toBe(0);
  });
  afterAll(async () => {
    await queen?.stop();
    home.cleanup();
  });

  it("a worker started on demand is listed after the request, idle, and gone 3 s after it, not before", async () => {
    const infer = await runRbee(["infer", "--model", "demo-tiny", "-n", "8", "Once upon a time"], env, 120_000);
    expect(infer.code).toBe(0);
    const [worker] = await workerList(env);
    expect(worker).toMatchObject({ model: "demo-tiny", state: "ready", on_demand: true, keep_alive_s: 3, idle_s: expect.any(Number), unload_in_s: expect.any(Number) });
    expect(worker!.unload_in_s).toBeLessThanOrEqual(3);
    const table = await runRbee(["worker", "list"], env);
    expect(table.stdout).toMatch(/CTX\s+IDLE\s+UNLOADS/);
    expect(table.stdout).toMatch(new RegExp(`${worker!.worker_id}.*ready\\s+0/4\\s+\\d+\\s+\\d+s\\s+in [0-3]s`));

    await queen.waitFor(new RegExp(`worker ${worker!.worker_id} stopped`), 30_000);
    expect(await workerList(env)).toEqual([]);
    // Measured on the daemon's own clock: from the end of the request to the unload.
    const log = queen.output();
    const done = lineTime(log, /infer_done: 8 tokens/)!;
    const unloaded = lineTime(log, new RegExp(`worker_unload: unloading demo-tiny \\(worker ${worker!.worker_id}\\): idle 3 s, keep-alive 3s`))!;
    expect(unloaded - done).toBeGreaterThanOrEqual(3_000);
    expect(unloaded - done).toBeLessThan(8_000);
  }, 180_000);

  it("keep_alive 0 on an OpenAI request unloads the worker before the answer; a keep_alive it cannot read is a 400", async () => {
    const chat = (keepAlive: unknown) =>
      fetch(`${queen.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ model: "demo-tiny", max_tokens: 4, messages: [{ role: "user", content: "hi" }], keep_alive: keepAlive }) });
    const bad = await chat("forever");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/keep_alive/);
    const res = await chat(0);
    expect(res.status).toBe(200);
    expect(await workerList(env)).toEqual([]);
    expect(queen.output()).toMatch(/keep_alive 0: unloading demo-tiny \(worker wrk-\w+\) right after the request/);
  }, 180_000);

  it("Ollama's keep_alive: a request with \"10m\" keeps its worker 10 minutes, then one with 0 unloads it", async () => {
    const generate = (keepAlive: unknown) => fetch(`${queen.url}/api/generate`, { method: "POST", body: JSON.stringify({ model: "demo-tiny", prompt: "hi", stream: false, options: { num_predict: 4 }, keep_alive: keepAlive }) });
    expect((await generate("10m")).status).toBe(200);
    expect(await workerList(env)).toMatchObject([{ model: "demo-tiny", keep_alive_s: 600, unload_in_s: expect.any(Number) }]);
    expect((await workerList(env))[0]!.unload_in_s).toBeGreaterThan(500);
    const ps = (await (await fetch(`${queen.url}/api/ps`)).json()) as { models: { name: string; expires_at: string }[] };
    const inMs = Date.parse(ps.models[0]!.expires_at) - Date.now();
    expect(inMs).toBeGreaterThan(500_000);
    expect(inMs).toBeLessThanOrEqual(600_000);
    expect((await generate(0)).status).toBe(200);
    expect(await workerList(env)).toEqual([]);
  }, 180_000);
});

describe("compiled rbee: serve --max-loaded 1 with two demo models", () => {
  const home = tempHome();
  let queen: Daemon;
  let env: Record<string, string>;
  beforeAll(async () => {
    queen = await startRbeeDaemon(["serve", "--port", "0", "--max-loaded", "1"], { RBEE_HOME: home.home });
    env = { RBEE_HOME: home.home, RBEE_QUEEN_URL: queen.url };
    expect((await runRbee(["model", "create-demo"], env)).code).toBe(0);
    const second = await runRbee(["model", "create-demo", "--name", "demo-b", "--seed", "7"], env);
    expect(second.stdout).toMatch(/demo-b is ready/);
  });
  afterAll(async () => {
    await queen?.stop();
    home.cleanup();
  });

  it("create-demo --name --seed makes a second model with other weights", async () => {
    const list = (await runRbee(["model", "list", "--json"], env)).stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { id: string; sha256: string });
    const [a, b] = ["demo-tiny", "demo-b"].map((id) => list.find((m) => m.id === id)!);
    expect(a!.sha256).not.toBe(b!.sha256);
    const bad = await runRbee(["model", "create-demo", "--name", "Bad Name", "--seed", "1"], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/INVALID_MODEL_SOURCE|demo model's name/);
  });

  it("inferring on the second model unloads the first, and the request's story says so", async () => {
    expect((await runRbee(["infer", "--model", "demo-tiny", "-n", "4", "hi"], env, 120_000)).code).toBe(0);
    const [first] = await workerList(env);
    expect(first).toMatchObject({ model: "demo-tiny", on_demand: true });
    const second = await runRbee(["infer", "--model", "demo-b", "-n", "4", "hi"], env, 120_000);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/unloading demo-tiny \(idle \d+ s\) to make room for demo-b \(max-loaded 1\)/);
    expect(second.stderr).toMatch(new RegExp(`worker ${first!.worker_id} stopped`));
    expect(await workerList(env)).toMatchObject([{ model: "demo-b", state: "ready" }]);
  }, 180_000);
});
