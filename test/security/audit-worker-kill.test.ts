import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DaemonClient } from "../../src/keeper/daemon-client.ts";
import type { WorkerInfo } from "../../src/hive/worker-process.ts";
import { startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

describe("compiled rbee: a worker killed after ignoring SIGTERM", () => {
  let home: ReturnType<typeof tempHome>;
  let queen: Daemon;
  let pid: number | undefined;

  beforeEach(async () => {
    home = tempHome();
    queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home.home, RBEE_AUDIT: "1", RBEE_API_TOKEN: "kill-token" });
  });
  afterEach(async () => {
    if (pid) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone: the test's own stop killed it
      }
    }
    await queen.stop();
    home.cleanup();
  });

  it("is an audit event naming its pid and the signal", async () => {
    const client = new DaemonClient(queen.url, "kill-token");
    const run = async (op: Record<string, unknown>) => {
      const { job_id } = await client.submit(op);
      let result: unknown;
      const outcome = await client.stream(job_id, { onEvent: (e) => void (e.kind === "result" && (result = e.result)) });
      expect(outcome).toEqual({ state: "completed" });
      return result;
    };
    await run({ operation: "model_download", model: "demo:tiny" });
    const worker = (await run({ operation: "worker_spawn", hive_id: "localhost", model: "demo-tiny" })) as WorkerInfo;
    pid = worker.pid!;
    // A stopped process cannot act on SIGTERM: the hive's grace runs out and it sends SIGKILL.
    process.kill(pid, "SIGSTOP");
    await run({ operation: "worker_stop", hive_id: "localhost", worker_id: worker.worker_id });

    const records = readFileSync(join(home.home, "state", "audit.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const killed = records.find((r) => r.event === "worker_killed");
    expect(killed).toMatchObject({ worker_id: worker.worker_id, pid, signal: "SIGKILL" });
    // Inside the stop job: its correlation id and who asked come along.
    expect(killed.correlation_id).toBe(records.find((r) => r.event === "job_created" && r.operation === "worker_stop").correlation_id);
    expect(records.findIndex((r) => r.event === "worker_killed")).toBeLessThan(records.findIndex((r) => r.event === "worker_stop"));
  }, 30_000);
});
