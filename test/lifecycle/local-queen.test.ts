import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runRbee, tempHome } from "../helpers/rbee-binary.ts";
import { freePort } from "../helpers/free-port.ts";

describe("compiled rbee: the queen in the background", () => {
  let home: ReturnType<typeof tempHome>;
  let env: Record<string, string>;

  beforeEach(async () => {
    home = tempHome();
    env = { RBEE_HOME: home.home, RBEE_QUEEN_URL: `http://127.0.0.1:${await freePort()}` };
  });
  afterEach(async () => {
    await runRbee(["queen", "stop"], env);
    home.cleanup();
  });

  it("start → status → stop, with pid and log files under RBEE_HOME", async () => {
    const start = await runRbee(["queen", "start"], env);
    expect(start.code).toBe(0);
    expect(start.stdout).toMatch(/queen started on http:\/\/127\.0\.0\.1:\d+ \(pid \d+\)/);
    expect(existsSync(join(home.home, "state", "queen.pid"))).toBe(true);
    expect(existsSync(join(home.home, "state", "queen.log"))).toBe(true);

    const again = await runRbee(["queen", "start"], env);
    expect(again.stdout).toContain("already running");

    const status = await runRbee(["queen", "status", "--json"], env);
    expect(status.code).toBe(0);
    const running = JSON.parse(status.stdout);
    expect(running).toMatchObject({ running: true });

    const stop = await runRbee(["queen", "stop"], env);
    expect(stop.stdout).toMatch(/queen stopped/);
    expect(() => process.kill(running.pid, 0)).toThrow();
    expect((await runRbee(["queen", "status"], env)).code).toBe(1);
  });

  it("a keeper command starts a queen when none answers, says so, and leaves it running", async () => {
    const res = await runRbee(["status"], env);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/started a queen on .* it keeps running/);
    expect((await runRbee(["queen", "status"], env)).code).toBe(0);
    const second = await runRbee(["status"], env);
    expect(second.stderr).not.toMatch(/started a queen/);
  });

  it("a stale pid file is detected and removed by stop", async () => {
    mkdirSync(join(home.home, "state"), { recursive: true });
    writeFileSync(join(home.home, "state", "queen.pid"), JSON.stringify({ pid: 2 ** 22 - 1, url: env.RBEE_QUEEN_URL, started_at: 1 }));
    const status = JSON.parse((await runRbee(["queen", "status", "--json"], env)).stdout);
    expect(status).toMatchObject({ running: false, stale_pid_file: true });
    const stop = await runRbee(["queen", "stop"], env);
    expect(stop.stdout).toContain("stale pid file");
    expect(existsSync(join(home.home, "state", "queen.pid"))).toBe(false);
  });
});
