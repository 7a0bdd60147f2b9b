import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DaemonClient } from "../../src/keeper/daemon-client.ts";
import type { WorkerInfo } from "../../src/hive/worker-process.ts";
import { runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

describe("compiled rbee: a hung worker", () => {
  let home: ReturnType<typeof tempHome>;
  let queen: Daemon;

  beforeEach(async () => {
    home = tempHome();
    queen = await startRbeeDaemon(["serve", "--port", "0", "--worker-stall-timeout", "2s"], { RBEE_HOME: home.home });
  });
  afterEach(async () => {
    await queen?.stop();
    home.cleanup();
  });

  it("SIGSTOP mid-stream: the client gets [ERROR] naming the worker within the stall timeout; the worker is restarted and serves again", async () => {
    const env = { RBEE_HOME: home.home, RBEE_QUEEN_URL: queen.url };
    expect((await runRbee(["model", "download", "demo:tiny"], env, 60_000)).code).toBe(0);
    const spawned = await runRbee(["worker", "spawn", "--model", "demo-tiny", "--json"], env, 60_000);
    expect(spawned.code).toBe(0);
    const worker = spawned.stdout.trim().split("\n").map((l) => JSON.parse(l)).find((l) => l.kind === "result").result as WorkerInfo;

    // the raw SSE stream, as any client sees it
    const client = new DaemonClient(queen.url);
    const { job_id } = await client.submit({ operation: "infer", model: "demo-tiny", prompt: "go on", max_tokens: 30_000 } as never);
    const res = await fetch(`${queen.url}/v1/jobs/${job_id}/stream`);
    const decoder = new TextDecoder();
    let text = "";
    let stoppedAt = 0;
    for await (const chunk of res.body!) {
      text += decoder.decode(chunk);
      if (!stoppedAt && text.includes("event: token")) {
        stoppedAt = performance.now();
        process.kill(worker.pid!, "SIGSTOP");
      }
    }
    const after = performance.now() - stoppedAt;
    expect(text).toMatch(new RegExp(`data: \\[ERROR\\] worker ${worker.worker_id} sent nothing for 2 s`));
    expect(after).toBeGreaterThanOrEqual(1_900);
    expect(after).toBeLessThan(8_000);
    await queen.waitFor(new RegExp(`worker ${worker.worker_id} sent nothing for 2 s: declared hung, killing it \\(pid ${worker.pid}, SIGKILL\\)`));

    // restarted by its policy (on-failure), and serving again
    await queen.waitFor(new RegExp(`worker ${worker.worker_id} ready on port[\\s\\S]*worker ${worker.worker_id} ready on port`), 30_000);
    const infer = await runRbee(["infer", "--model", "demo-tiny", "--max-tokens", "8", "still there?"], env, 60_000);
    expect(infer.code).toBe(0);
    const listed = await runRbee(["worker", "get", worker.worker_id, "--json"], env);
    const info = JSON.parse(listed.stdout.trim()) as WorkerInfo;
    expect(info).toMatchObject({ state: "ready", restarts: 1 });
    expect(info.pid).not.toBe(worker.pid);
  });

  it("a stall timeout that is not a duration is misuse (exit 2)", async () => {
    const res = await runRbee(["serve", "--port", "0", "--worker-stall-timeout", "soon"], { RBEE_HOME: home.home });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("worker stall timeout");
  });
});
