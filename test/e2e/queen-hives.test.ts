import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonClient } from "../../src/keeper/daemon-client.ts";
import type { HiveEntry } from "../../src/queen/hive-directory.ts";
import { startStallingServer } from "../helpers/slow-server.ts";
import { runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

describe("compiled rbee: a queen and two hive processes on loopback", () => {
  const homes = [tempHome(), tempHome(), tempHome()];
  let queen: Daemon;
  let h1: Daemon;
  let h2: Daemon;
  let env: Record<string, string>;

  beforeAll(async () => {
    queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: homes[0].home });
    h1 = await startRbeeDaemon(["serve", "--role", "hive", "--port", "0", "--hive-id", "h1", "--queen-url", queen.url], { RBEE_HOME: homes[1].home });
    h2 = await startRbeeDaemon(["serve", "--role", "hive", "--port", "0", "--hive-id", "h2", "--queen-url", queen.url], { RBEE_HOME: homes[2].home });
    await queen.waitFor(/hive h1 registered/);
    await queen.waitFor(/hive h2 registered/);
    env = { RBEE_HOME: homes[0].home, RBEE_QUEEN_URL: queen.url };
  });
  afterAll(async () => {
    await Promise.all([h1?.stop(), h2?.stop(), queen?.stop()]);
    for (const h of homes) h.cleanup();
  });

  it("hive list shows the embedded hive and both registered hives online", async () => {
    const res = await runRbee(["hive", "list", "--json"], env);
    const hives = res.stdout.trim().split("\n").map((l) => JSON.parse(l) as HiveEntry);
    expect(hives.map((h) => [h.id, h.state]).sort()).toEqual([["h1", "online"], ["h2", "online"], ["localhost", "online"]]);
    for (const h of hives.filter((h) => !h.embedded)) expect(h).toMatchObject({ devices: expect.arrayContaining(["cpu:0"]), workers: 0 });
    const table = await runRbee(["hive", "list"], env);
    expect(table.stdout).toMatch(/^HIVE\s+URL\s+STATE\s+LAST SEEN\s+DEVICES\s+WORKERS/m);
  });

  it("model and worker jobs forwarded to h2 relay its narration, marked with its origin", async () => {
    const model = await runRbee(["model", "create-demo", "--hive", "h2"], env);
    expect(model.code).toBe(0);
    expect(model.stderr).toMatch(/\[hive h2\] .*demo-tiny/);
    const spawn = await runRbee(["worker", "spawn", "--model", "demo-tiny", "--hive", "h2", "--json"], env);
    expect(spawn.code).toBe(0);
    const lines = spawn.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const narration = lines.filter((l) => l.kind === "narration");
    expect(narration.some((l) => l.origin === "h2" && /ready on port/.test(l.human))).toBe(true);
    // the model exists on h2 only
    expect((await runRbee(["model", "list", "--hive", "h1", "--json"], env)).stdout.trim()).toBe("");
  });

  it("rbee infer goes queen → h2 → worker and streams tokens to stdout", async () => {
    const res = await runRbee(["infer", "--model", "demo-tiny", "--hive", "h2", "-n", "24", "--seed", "7", "Hello"], env);
    expect(res.code).toBe(0);
    expect(res.stdout.length).toBeGreaterThan(5);
    expect(res.stderr).toMatch(/\[hive h2\] 24 tokens/);
  });

  it("a killed hive is offline within 3 s and jobs for it fail clearly", async () => {
    const killedAt = Date.now();
    h2.proc.kill("SIGKILL");
    await queen.waitFor(/hive h2 is offline/, 5_000);
    expect(Date.now() - killedAt).toBeLessThanOrEqual(3_600);
    const res = await runRbee(["infer", "--model", "demo-tiny", "--hive", "h2", "hi"], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/hive h2 is offline/);
    const unknown = await runRbee(["worker", "list", "--hive", "nope"], env);
    expect(unknown.stderr).toMatch(/no hive named nope \(known: .*h1.*\)/);
  });

  it("cancelling a queen job cancels the hive job", async () => {
    const source = await startStallingServer();
    try {
      const client = new DaemonClient(queen.url);
      const { job_id } = await client.submit({ operation: "model_download", hive_id: "h1", model: source.url });
      // when the hive's job is running (the relay names it), cancel the queen's job
      let hiveJob = "";
      const outcome = await client.stream(job_id, {
        onEvent: (e) => {
          if (e.kind === "narration" && e.action === "forwarded") hiveJob = String(e.fields?.hive_job_id);
          if (e.kind === "narration" && e.origin === "h1" && /downloading/.test(e.human)) void client.cancel(job_id);
        },
      });
      expect(outcome.state).toBe("cancelled");
      // then the hive's own stream of that job ends [CANCELLED] too
      const onHive = await new DaemonClient(h1.url).stream(hiveJob, { onEvent: () => {} });
      expect(onHive.state).toBe("cancelled");
    } finally {
      await source.stop();
    }
  });
});
