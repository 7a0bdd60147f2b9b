import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { importDir } from "../../src/model/model-folders.ts";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WorkerInfo } from "../../src/hive/worker-process.ts";
import { eventually, startTestQueen, waitForLogLine, type TestQueen } from "../helpers/queen-harness.ts";

const fastRestarts = { baseMs: 20, maxMs: 200, maxRestarts: 3, windowMs: 60_000 };

describe("hive workers on the real engine", () => {
  let t: TestQueen;
  beforeEach(async () => {
    t = await startTestQueen({ restartPolicy: fastRestarts });
    const demo = await t.run({ operation: "model_download", model: "demo:tiny" });
    expect(demo.outcome.state).toBe("completed");
  });
  afterEach(async () => {
    await t.stop();
  });

  it("spawn → loading → ready, infer streams tokens, stop leaves no process", async () => {
    const spawn = await t.run({ operation: "worker_spawn", model: "demo-tiny" });
    expect(spawn.outcome.state).toBe("completed");
    expect(spawn.lines.join("\n")).toMatch(/spawned worker[\s\S]*is loading[\s\S]*ready on port \d+ \(loaded in \d+ ms\)/);
    const worker = spawn.result as WorkerInfo;

    const infer = await t.run({ operation: "infer", model: "demo-tiny", prompt: "Hello", max_tokens: 16, seed: 1 });
    expect(infer.outcome.state).toBe("completed");
    expect(infer.events.filter((e) => e.kind === "token").length).toBeGreaterThan(1);
    expect(infer.result).toMatchObject({ worker_id: worker.worker_id, tokens: 16 });

    const stop = await t.run({ operation: "worker_stop", worker_id: worker.worker_id });
    expect(stop.outcome.state).toBe("completed");
    expect(() => process.kill(worker.pid!, 0)).toThrow();
  });

  it("worker_spawn ctx sets the context per slot: a longer prompt is refused by it and goes to a worker that fits", async () => {
    const spawn = await t.run({ operation: "worker_spawn", model: "demo-tiny", ctx: 256 });
    expect(spawn.outcome.state).toBe("completed");
    expect(spawn.result).toMatchObject({ context_size: 256 });
    const long = await t.run({ operation: "infer", model: "demo-tiny", prompt: "the queen and the hive ".repeat(40), max_tokens: 4 });
    expect(long.outcome.state).toBe("completed");
    expect(long.lines.join("\n")).toMatch(new RegExp(`worker ${(spawn.result as WorkerInfo).worker_id}'s context is too short for this prompt: it needs \\d+ tokens`));
    expect((long.result as { worker_id: string }).worker_id).not.toBe((spawn.result as WorkerInfo).worker_id);
    const short = await t.run({ operation: "infer", model: "demo-tiny", prompt: "the queen", max_tokens: 4 });
    expect(short.result).toMatchObject({ worker_id: (spawn.result as WorkerInfo).worker_id, tokens: 4 });
  });

  it("two concurrent infers on one 2-slot worker both complete", async () => {
    await t.run({ operation: "worker_spawn", model: "demo-tiny", slots: 2 });
    const [a, b] = await Promise.all([
      t.run({ operation: "infer", model: "demo-tiny", prompt: "one", max_tokens: 64 }),
      t.run({ operation: "infer", model: "demo-tiny", prompt: "two", max_tokens: 64 }),
    ]);
    expect([a.outcome.state, b.outcome.state]).toEqual(["completed", "completed"]);
    expect((a.result as { worker_id: string }).worker_id).toBe((b.result as { worker_id: string }).worker_id);
  });

  it("a worker killed with SIGKILL is restarted by policy", async () => {
    const worker = (await t.run({ operation: "worker_spawn", model: "demo-tiny" })).result as WorkerInfo;
    const restarted = waitForLogLine(new RegExp(`worker ${worker.worker_id} ready on port`));
    process.kill(worker.pid!, "SIGKILL");
    await restarted;
    const after = (await t.run({ operation: "worker_get", worker_id: worker.worker_id })).result as WorkerInfo;
    expect(after).toMatchObject({ state: "ready", restarts: 1 });
    expect(after.pid).not.toBe(worker.pid);
    const infer = await t.run({ operation: "infer", model: "demo-tiny", prompt: "still there?", max_tokens: 4 });
    expect(infer.outcome.state).toBe("completed");
  });

  it("a worker that keeps crashing opens the circuit and stays failed", async () => {
    const { worker_id } = (await t.run({ operation: "worker_spawn", model: "demo-tiny" })).result as WorkerInfo;
    for (let crash = 1; crash <= 3; crash++) {
      const { pid } = (await t.run({ operation: "worker_get", worker_id })).result as WorkerInfo;
      const back = waitForLogLine(new RegExp(`worker ${worker_id} ready on port`));
      process.kill(pid!, "SIGKILL");
      await back;
    }
    const { pid } = (await t.run({ operation: "worker_get", worker_id })).result as WorkerInfo;
    const open = waitForLogLine(new RegExp(`worker ${worker_id} .*circuit open`));
    process.kill(pid!, "SIGKILL");
    await open;
    const info = (await t.run({ operation: "worker_get", worker_id })).result as WorkerInfo;
    expect(info.state).toBe("failed");
    expect(info.error).toMatch(/circuit open/);
  });

  it("a worker that ignores SIGTERM is killed after the grace period, and that is narrated", async () => {
    const worker = (await t.run({ operation: "worker_spawn", model: "demo-tiny" })).result as WorkerInfo;
    // a stopped process cannot act on SIGTERM: it stands for a worker stuck in native code
    process.kill(worker.pid!, "SIGSTOP");
    const stop = await t.run({ operation: "worker_stop", worker_id: worker.worker_id });
    expect(stop.outcome.state).toBe("completed");
    expect(stop.lines.join("\n")).toMatch(new RegExp(`ignored SIGTERM for 5 s: killing it \\(pid ${worker.pid}, SIGKILL\\)`));
    expect(() => process.kill(worker.pid!, 0)).toThrow();
  });

  it("a corrupt GGUF fails to load with a clear error, and the hive keeps serving", async () => {
    // given a model whose header is valid but whose tensor data is cut short
    const demo = (await t.run({ operation: "model_get", model: "demo-tiny" })).result as { path: string };
    mkdirSync(importDir(), { recursive: true });
    const corrupt = join(importDir(), "corrupt.gguf");
    const bytes = readFileSync(demo.path);
    writeFileSync(corrupt, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const added = await t.run({ operation: "model_download", model: corrupt });
    expect(added.outcome.state).toBe("completed");
    // when a worker is spawned for it
    const spawn = await t.run({ operation: "worker_spawn", model: "corrupt" });
    // then the spawn fails and says why; the hive still answers
    expect(spawn.outcome.state).toBe("failed");
    expect(spawn.outcome.state === "failed" && spawn.outcome.error).toMatch(/corrupt|load|tensor|data|file/i);
    const status = await t.run({ operation: "hive_status" });
    expect(status.outcome.state).toBe("completed");
    expect((await t.run({ operation: "worker_list" })).result).toEqual([]);
  });
});

describe("hung workers and restart policies", () => {
  let t: TestQueen;
  beforeEach(async () => {
    // restarts wait 300 ms: long enough to see the worker out of `ready`, short for a test
    t = await startTestQueen({ restartPolicy: { ...fastRestarts, baseMs: 300 }, timeouts: { workerStallMs: 2_000 } });
    expect((await t.run({ operation: "model_download", model: "demo:tiny" })).outcome.state).toBe("completed");
  });
  afterEach(async () => {
    await t.stop();
  });

  it("a worker stopped mid-stream (SIGSTOP) ends the stream with an error naming it within the stall timeout, leaves ready, is killed and restarted", async () => {
    const worker = (await t.run({ operation: "worker_spawn", model: "demo-tiny" })).result as WorkerInfo;
    const { job_id } = await t.client.submit({ operation: "infer", model: "demo-tiny", prompt: "go on", max_tokens: 30_000 });
    let stoppedAt = 0;
    const lines: string[] = [];
    const outcome = await t.client.stream(job_id, {
      onEvent: (e) => {
        if (e.kind === "narration") lines.push(e.human);
        if (e.kind === "token" && !stoppedAt) {
          stoppedAt = performance.now();
          process.kill(worker.pid!, "SIGSTOP");
        }
      },
    });
    const after = performance.now() - stoppedAt;
    expect(outcome.state).toBe("failed");
    expect(outcome.state === "failed" && outcome.error).toMatch(new RegExp(`worker ${worker.worker_id} sent nothing for 2 s`));
    expect(after).toBeGreaterThanOrEqual(1_900);
    expect(after).toBeLessThan(8_000);
    expect(lines.join("\n")).toMatch(new RegExp(`worker ${worker.worker_id} sent nothing for 2 s: declared hung, killing it \\(pid ${worker.pid}, SIGKILL\\)`));
    // at once out of `ready`: nothing more is sent to it
    const pool = t.queen.localHive!.pool;
    expect(pool.get(worker.worker_id).state).not.toBe("ready");
    expect(pool.pickReady("demo-tiny")).toBeUndefined();

    await eventually(() => pool.get(worker.worker_id).state === "ready" || undefined);
    const back = (await t.run({ operation: "worker_get", worker_id: worker.worker_id })).result as WorkerInfo;
    expect(back).toMatchObject({ state: "ready", restarts: 1, restart_policy: "on-failure" });
    expect(back.pid).not.toBe(worker.pid);
    expect(() => process.kill(worker.pid!, 0)).toThrow();
    const infer = await t.run({ operation: "infer", model: "demo-tiny", prompt: "back?", max_tokens: 8 });
    expect(infer.outcome.state).toBe("completed");
    expect(infer.result).toMatchObject({ worker_id: worker.worker_id, tokens: 8 });
  });

  it("restart never: a killed worker stays down and says why", async () => {
    const worker = (await t.run({ operation: "worker_spawn", model: "demo-tiny", restart: "never" })).result as WorkerInfo;
    expect(worker.restart_policy).toBe("never");
    const down = waitForLogLine(new RegExp(`worker ${worker.worker_id} exited \\(signal SIGKILL\\); restart policy never: not restarting it`));
    process.kill(worker.pid!, "SIGKILL");
    await down;
    const info = (await t.run({ operation: "worker_get", worker_id: worker.worker_id })).result as WorkerInfo;
    expect(info).toMatchObject({ state: "failed", restarts: 0 });
    expect(info.error).toMatch(/restart policy never/);
  });

  it("on-failure leaves a clean exit down; always brings it back", async () => {
    const calm = (await t.run({ operation: "worker_spawn", model: "demo-tiny" })).result as WorkerInfo;
    const keen = (await t.run({ operation: "worker_spawn", model: "demo-tiny", restart: "always" })).result as WorkerInfo;
    const calmDown = waitForLogLine(new RegExp(`worker ${calm.worker_id} exited \\(exit code 0\\); restart policy on-failure: not restarting it`));
    process.kill(calm.pid!, "SIGTERM");
    await calmDown;
    expect(((await t.run({ operation: "worker_get", worker_id: calm.worker_id })).result as WorkerInfo).state).toBe("stopped");
    const keenBack = waitForLogLine(new RegExp(`worker ${keen.worker_id} ready on port`));
    process.kill(keen.pid!, "SIGTERM");
    await keenBack;
    expect((await t.run({ operation: "worker_get", worker_id: keen.worker_id })).result).toMatchObject({ state: "ready", restarts: 1 });
  });

  it("refuses an unknown restart policy with 400", async () => {
    const res = await fetch(`${t.queen.url}/v1/jobs`, { method: "POST", body: JSON.stringify({ operation: "worker_spawn", model: "demo-tiny", restart: "sometimes" }) });
    expect(res.status).toBe(400);
  });
});
