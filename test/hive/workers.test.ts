import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WorkerInfo } from "../../src/hive/worker-process.ts";
import { startTestQueen, waitForLogLine, type TestQueen } from "../helpers/queen-harness.ts";

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

  it("worker_spawn ctx sets the context per slot: a longer prompt is refused, naming it", async () => {
    const spawn = await t.run({ operation: "worker_spawn", model: "demo-tiny", ctx: 256 });
    expect(spawn.outcome.state).toBe("completed");
    const long = await t.run({ operation: "infer", model: "demo-tiny", prompt: "the queen and the hive ".repeat(40), max_tokens: 4 });
    expect(long.outcome.state).toBe("failed");
    expect(JSON.stringify(long.outcome)).toMatch(/context holds 256 per slot/);
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
    expect(stop.lines.join("\n")).toMatch(/ignored SIGTERM for 5 s: killing it/);
    expect(() => process.kill(worker.pid!, 0)).toThrow();
  });

  it("a corrupt GGUF fails to load with a clear error, and the hive keeps serving", async () => {
    // given a model whose header is valid but whose tensor data is cut short
    const demo = (await t.run({ operation: "model_get", model: "demo-tiny" })).result as { path: string };
    const corrupt = join(t.home, "corrupt.gguf");
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
