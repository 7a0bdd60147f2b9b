import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { WorkerInfo } from "../../src/hive/worker-process.ts";
import type { JobEvent } from "../../src/protocol/events.ts";
import { startTestQueen, waitForLogLine, type TestQueen } from "../helpers/queen-harness.ts";
import { startHiveDaemon } from "../../src/hive/start-hive.ts";
import { DaemonClient } from "../../src/keeper/daemon-client.ts";

const demoB = "demo:demo-b:7";
const models = async (t: TestQueen, ...sources: string[]) => {
  for (const model of sources) expect((await t.run({ operation: "model_download", model })).outcome.state).toBe("completed");
};
const workers = (t: TestQueen) => t.queen.localHive!.pool.list();

describe("keep-alive and room on the real engine (queen with its local hive)", () => {
  let t: TestQueen;
  afterEach(async () => {
    await t?.stop();
  });

  it("a busy worker is never evicted: the spawn for another model waits until its request ends, then unloads it", async () => {
    t = await startTestQueen({ pool: { maxLoaded: 1 } });
    await models(t, "demo:tiny", demoB);
    // A long greedy generation (always its full 1500 tokens) keeps demo-tiny's worker busy.
    const long = await t.client.submit({ operation: "infer", model: "demo-tiny", prompt: "Once", max_tokens: 1500, temperature: 0 });
    const longEvents: JobEvent[] = [];
    let firstToken!: () => void;
    const started = new Promise<void>((r) => (firstToken = r));
    const longDone = t.client.stream(long.job_id, { onEvent: (e) => (longEvents.push(e), e.kind === "token" && firstToken()) });
    await started;
    const busy = workers(t);
    expect(busy).toMatchObject([{ model: "demo-tiny", busy: 1, on_demand: true }]);

    const other = await t.run({ operation: "infer", model: "demo-b", prompt: "Hi", max_tokens: 4 });
    expect((await longDone).state).toBe("completed");
    const longResult = longEvents.find((e) => e.kind === "result");
    expect(longResult?.kind === "result" && longResult.result).toMatchObject({ worker_id: busy[0]!.worker_id, tokens: 1500 });

    expect(other.outcome.state).toBe("completed");
    const story = other.lines.join("\n");
    expect(story).toMatch(/waiting to make room for demo-b: 1 worker\(s\) loaded \(max-loaded 1\) and every on-demand one is busy/);
    expect(story).toMatch(/unloading demo-tiny \(idle \d+ s\) to make room for demo-b \(max-loaded 1\)/);
    // The eviction came after the long request had finished, not before.
    const tsOf = (events: JobEvent[], action: string) => events.flatMap((e) => (e.kind === "narration" && e.action === action ? [e.ts] : []))[0]!;
    const unloadedAt = tsOf(other.events, "worker_unload");
    const longFinishedAt = tsOf(longEvents, "infer_done");
    expect(unloadedAt).toBeGreaterThanOrEqual(longFinishedAt);
    expect(workers(t)).toMatchObject([{ model: "demo-b", state: "ready" }]);
  }, 120_000);

  it("keep_alive 0 on a request unloads its on-demand worker right after it, told in that request's job; a worker spawned by hand stays", async () => {
    t = await startTestQueen();
    await models(t, "demo:tiny", demoB);
    const once = await t.run({ operation: "infer", model: "demo-tiny", prompt: "Hi", max_tokens: 4, keep_alive: 0 });
    expect(once.outcome.state).toBe("completed");
    expect(once.lines.join("\n")).toMatch(/keep_alive 0: unloading demo-tiny \(worker wrk-\w+\) right after the request/);
    expect(workers(t)).toEqual([]);

    const byHand = (await t.run({ operation: "worker_spawn", model: "demo-b", slots: 1 })).result as WorkerInfo;
    expect(byHand).toMatchObject({ on_demand: false, keep_alive_s: -1 });
    const kept = await t.run({ operation: "infer", model: "demo-b", prompt: "Hi", max_tokens: 4, keep_alive: 0 });
    expect(kept.outcome.state).toBe("completed");
    expect(kept.lines.join("\n")).not.toMatch(/unloading/);
    expect(workers(t)).toMatchObject([{ worker_id: byHand.worker_id, state: "ready", idle_s: expect.any(Number) }]);
  }, 120_000);

  it("a model's keep_alive in config/models.json sets its on-demand workers' idle time; the unload is told in the daemon log", async () => {
    t = await startTestQueen();
    await models(t, "demo:tiny");
    mkdirSync(join(t.home, "config"), { recursive: true });
    writeFileSync(join(t.home, "config", "models.json"), JSON.stringify({ models: { "demo-tiny": { keep_alive: "1s" } } }));
    const infer = await t.run({ operation: "infer", model: "demo-tiny", prompt: "Hi", max_tokens: 4 });
    expect(infer.outcome.state).toBe("completed");
    const unloaded = waitForLogLine(/unloading demo-tiny \(worker wrk-\w+\): idle 1 s, keep-alive 1s/);
    expect(workers(t)).toMatchObject([{ model: "demo-tiny", keep_alive_s: 1, on_demand: true }]);
    await unloaded;
    expect(workers(t)).toEqual([]);
  }, 120_000);

  it("a worker spawned by hand with a keep-alive unloads once idle that long", async () => {
    t = await startTestQueen();
    await models(t, "demo:tiny");
    const spawned = await t.run({ operation: "worker_spawn", model: "demo-tiny", slots: 1, keep_alive: "2s" });
    const worker = spawned.result as WorkerInfo;
    expect(worker).toMatchObject({ on_demand: false, keep_alive_s: 2 });
    const unloaded = waitForLogLine(new RegExp(`unloading demo-tiny \\(worker ${worker.worker_id}\\): idle 2 s, keep-alive 2s`));
    expect((await t.run({ operation: "infer", model: "demo-tiny", prompt: "Hi", max_tokens: 4 })).result).toMatchObject({ worker_id: worker.worker_id });
    await unloaded;
    expect(workers(t)).toEqual([]);
  }, 120_000);

  it("a hive on its own (no queen choosing): concurrent requests for one model share the worker one of them started, and --max-loaded swaps", async () => {
    t = await startTestQueen();
    const hive = startHiveDaemon({ port: 0, bind: "127.0.0.1", hiveId: "solo", pool: { maxLoaded: 1 } });
    try {
      const client = new DaemonClient(hive.url);
      const run = async (op: Record<string, unknown>) => {
        const events: JobEvent[] = [];
        const outcome = await client.stream((await client.submit({ hive_id: "solo", ...op })).job_id, { onEvent: (e) => events.push(e) });
        const result = events.flatMap((e) => (e.kind === "result" ? [e.result as { worker_id: string }] : []))[0];
        return { outcome, result, story: events.flatMap((e) => (e.kind === "narration" ? [e.human] : [])).join("\n") };
      };
      for (const model of ["demo:tiny", demoB]) expect((await run({ operation: "model_download", model })).outcome.state).toBe("completed");
      const [a, b] = await Promise.all([1, 2].map(() => run({ operation: "infer", model: "demo-tiny", prompt: "Hi", max_tokens: 4 })));
      expect([a!.outcome.state, b!.outcome.state]).toEqual(["completed", "completed"]);
      expect(a!.result!.worker_id).toBe(b!.result!.worker_id);
      expect(a!.story + b!.story).not.toMatch(/unloading/);
      const other = await run({ operation: "infer", model: "demo-b", prompt: "Hi", max_tokens: 4 });
      expect(other.story).toMatch(/unloading demo-tiny \(idle \d+ s\) to make room for demo-b \(max-loaded 1\)/);
      expect(hive.hive.pool.list()).toMatchObject([{ model: "demo-b", on_demand: true }]);
    } finally {
      await hive.stop();
    }
  }, 120_000);

  it("refuses a keep_alive it cannot read before anything runs", async () => {
    t = await startTestQueen();
    const res = await fetch(`${t.queen.url}/v1/jobs`, { method: "POST", body: JSON.stringify({ operation: "infer", model: "demo-tiny", prompt: "Hi", keep_alive: "forever" }) });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/keep_alive.*0 \(unload after the request\) or -1 \(never unload\)/);
    expect(workers(t)).toEqual([]);
  });
});
