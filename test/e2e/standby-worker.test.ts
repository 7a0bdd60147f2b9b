import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

/** Whether a process is still alive (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

const pidsOf = (out: string, pattern: RegExp) => [...out.matchAll(pattern)].map((m) => Number(m[1]));

describe("the standby worker: a CPU worker process with its engine already started", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function serve(extra: string[] = []): Promise<{ daemon: Daemon; env: Record<string, string> }> {
    const { home, cleanup } = tempHome("rbee-standby-");
    cleanups.push(cleanup);
    const daemon = await startRbeeDaemon(["serve", "--port", "0", ...extra], { RBEE_HOME: home });
    cleanups.push(() => daemon.stop());
    const env = { RBEE_HOME: home, RBEE_QUEEN_URL: daemon.url };
    expect((await runRbee(["model", "create-demo"], env, 60_000)).code).toBe(0);
    return { daemon, env };
  }

  it("a first request takes the standby, its story says so, a new standby follows, and none outlives the queen", async () => {
    // Given a queen whose hive has its standby ready
    const { daemon, env } = await serve();
    await daemon.waitFor(/standby_ready: a standby worker \(pid \d+\)/, 60_000);
    const [first] = pidsOf(daemon.output(), /standby_ready: a standby worker \(pid (\d+)\)/g);
    expect(((await (await fetch(`${daemon.url}/v1/info`)).json()) as { standby_worker: string }).standby_worker).toBe("ready");

    // When the first request for the model comes
    const infer = await runRbee(["infer", "--model", "demo-tiny", "--max-tokens", "4", "Once upon"], env, 60_000);

    // Then it ran on the standby process, and the load was narrated in that request's own story
    expect(infer.code).toBe(0);
    expect(infer.stderr).toMatch(new RegExp(`took the standby worker wrk-\\w+ \\(pid ${first}\\)`));
    expect(infer.stderr).toMatch(/worker wrk-\w+ ready on port \d+/);
    // And a new standby starts once that request is over, not beside its load and first token
    await daemon.waitFor(/standby_ready[^\n]*[\s\S]*standby_ready/, 60_000);
    const log = daemon.output();
    const lastStart = log.lastIndexOf("standby_start");
    expect(log.indexOf("infer_done")).toBeGreaterThan(0);
    expect(lastStart).toBeGreaterThan(log.indexOf("infer_done"));
    const second = pidsOf(daemon.output(), /standby_ready: a standby worker \(pid (\d+)\)/g)[1]!;
    expect(second).not.toBe(first);

    // When the queen stops, the worker and the waiting standby stop with it
    await daemon.stop();
    expect(alive(first)).toBe(false);
    expect(alive(second)).toBe(false);
  }, 180_000);

  it("--no-standby-worker keeps none: the worker is spawned as before", async () => {
    const { daemon, env } = await serve(["--no-standby-worker"]);
    const infer = await runRbee(["infer", "--model", "demo-tiny", "--max-tokens", "2", "Hi"], env, 60_000);
    expect(infer.code).toBe(0);
    expect(infer.stderr).toMatch(/spawned worker wrk-\w+/);
    expect(daemon.output()).not.toMatch(/standby/);
    expect(((await (await fetch(`${daemon.url}/v1/info`)).json()) as { standby_worker: string }).standby_worker).toBe("off");
  }, 120_000);
});
