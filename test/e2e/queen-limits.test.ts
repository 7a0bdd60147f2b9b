import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HiveEntry } from "../../src/queen/hive-directory.ts";
import { runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

describe("compiled rbee: X-Deadline bounds", () => {
  const home = tempHome();
  let queen: Daemon;
  beforeAll(async () => {
    queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home.home });
    expect((await runRbee(["model", "create-demo"], { RBEE_HOME: home.home, RBEE_QUEEN_URL: queen.url })).code).toBe(0);
  });
  afterAll(async () => {
    await queen?.stop();
    home.cleanup();
  });

  const job = (deadline: string) => fetch(`${queen.url}/v1/jobs`, { method: "POST", headers: { "x-deadline": deadline }, body: JSON.stringify({ operation: "status" }) });

  it("a deadline an hour ahead is kept (not taken as passed); beyond a week, or 1e300, is a 400", async () => {
    const hour = await job(String(Date.now() + 3_600_000));
    expect(hour.status).toBe(201);
    const { job_id } = (await hour.json()) as { job_id: string };
    const logs = await runRbee(["jobs", "get", job_id, "--json"], { RBEE_HOME: home.home, RBEE_QUEEN_URL: queen.url });
    expect(JSON.parse(logs.stdout)).toMatchObject({ state: "completed" });
    for (const far of [String(Date.now() + 30 * 86_400_000), "1e300"]) {
      const res = await job(far);
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code: "INVALID_DEADLINE", message: expect.stringMatching(/more than 7 days ahead/) });
    }
    expect((await runRbee(["status"], { RBEE_HOME: home.home, RBEE_QUEEN_URL: queen.url })).code).toBe(0);
  });

  it("a deadline that passes mid-request on the OpenAI route answers 504 deadline_exceeded", async () => {
    // No worker yet: the request waits for one to start, and the deadline passes meanwhile.
    const res = await fetch(`${queen.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "x-deadline": String(Date.now() + 150) },
      body: JSON.stringify({ model: "demo-tiny", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("deadline_exceeded");
  });
});

describe("compiled rbee: --max-queue 0 means no waiting, not no work", () => {
  const home = tempHome();
  let queen: Daemon;
  let env: Record<string, string>;
  beforeAll(async () => {
    queen = await startRbeeDaemon(["serve", "--port", "0", "--max-queue", "0"], { RBEE_HOME: home.home });
    env = { RBEE_HOME: home.home, RBEE_QUEEN_URL: queen.url };
    expect((await runRbee(["model", "create-demo"], env)).code).toBe(0);
    expect((await runRbee(["worker", "spawn", "--model", "demo-tiny", "--slots", "1"], env)).code).toBe(0);
  });
  afterAll(async () => {
    await queen?.stop();
    home.cleanup();
  });

  it("an infer with an idle 1-slot worker runs, through the job API and the OpenAI API alike", async () => {
    const infer = await runRbee(["infer", "--model", "demo-tiny", "-n", "4", "hi"], env);
    expect(infer.stderr).not.toMatch(/QUEUE_FULL/);
    expect(infer.code).toBe(0);
    const chat = await fetch(`${queen.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ model: "demo-tiny", max_tokens: 4, messages: [{ role: "user", content: "hi" }] }) });
    expect(chat.status).toBe(200);
  });
});

describe("compiled rbee: offline hives are dropped after --prune-hives-after", () => {
  const qHome = tempHome();
  const hHome = tempHome();
  let queen: Daemon;
  let hive: Daemon;
  afterAll(async () => {
    await Promise.all([hive?.stop(), queen?.stop()]);
    qHome.cleanup();
    hHome.cleanup();
  });

  it("a killed hive shows offline, then leaves the list", async () => {
    queen = await startRbeeDaemon(["serve", "--port", "0", "--prune-hives-after", "3"], { RBEE_HOME: qHome.home });
    hive = await startRbeeDaemon(["serve", "--role", "hive", "--port", "0", "--hive-id", "h9", "--queen-url", queen.url], { RBEE_HOME: hHome.home });
    await queen.waitFor(/hive h9 registered/);
    hive.proc.kill("SIGKILL");
    await queen.waitFor(/hive h9 is offline/, 10_000);
    const list = async () => (await runRbee(["hive", "list", "--json"], { RBEE_HOME: qHome.home, RBEE_QUEEN_URL: queen.url })).stdout.trim().split("\n").map((l) => JSON.parse(l) as HiveEntry);
    expect((await list()).find((h) => h.id === "h9")).toMatchObject({ state: "offline" });
    await queen.waitFor(/hive h9 dropped from the list/, 10_000);
    expect((await list()).map((h) => h.id)).toEqual(["localhost"]);
  });
});
