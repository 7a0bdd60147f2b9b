import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runRbee, tempHome } from "../helpers/rbee-binary.ts";
import { freePort } from "../helpers/free-port.ts";

describe("compiled rbee: the queen in the background", () => {
  let home: ReturnType<typeof tempHome>;
  let env: Record<string, string>;
  let port: number;
  const pidFile = (p = port) => join(home.home, "state", `queen-${p}.pid`);

  beforeEach(async () => {
    home = tempHome();
    port = await freePort();
    env = { RBEE_HOME: home.home, RBEE_QUEEN_URL: `http://127.0.0.1:${port}` };
  });
  afterEach(async () => {
    await runRbee(["queen", "stop"], env);
    home.cleanup();
  });

  it("start → status → stop, with pid and log files under RBEE_HOME", async () => {
    const start = await runRbee(["queen", "start"], env);
    expect(start.code).toBe(0);
    expect(start.stdout).toMatch(/queen started on http:\/\/127\.0\.0\.1:\d+ \(pid \d+\)/);
    expect(existsSync(pidFile())).toBe(true);
    expect(existsSync(join(home.home, "state", `queen-${port}.log`))).toBe(true);

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

  it("a command that does work starts a queen when none answers, says how to stop that one, and leaves it running", async () => {
    const res = await runRbee(["model", "create-demo"], env);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain(`started a queen on ${env.RBEE_QUEEN_URL}`);
    expect(res.stderr).toContain(`it keeps running — stop it with \`rbee queen stop --queen-url ${env.RBEE_QUEEN_URL}\``);
    expect((await runRbee(["queen", "status"], env)).code).toBe(0);
    const second = await runRbee(["status"], env);
    expect(second.stderr).not.toMatch(/started a queen/);
  });

  it("a read starts no queen: it says none answers and how to start one", async () => {
    for (const args of [["status"], ["model", "list"], ["jobs", "list"], ["hive", "list"]]) {
      const res = await runRbee(args, env);
      expect(res.code).toBe(1);
      expect(res.stderr).toBe(
        `✗ QUEEN_NOT_RUNNING: no queen answers on ${env.RBEE_QUEEN_URL}\n` +
          `  hint: Start one with \`rbee queen start --queen-url ${env.RBEE_QUEEN_URL}\` (or \`rbee serve\` in the foreground); commands that do work, like \`rbee infer\`, start one themselves.\n`,
      );
    }
    expect((await runRbee(["queen", "status"], env)).code).toBe(1);
    expect(existsSync(pidFile())).toBe(false);
  });

  it("one pid file per port: stopping the queen on one port leaves the queen on another running", async () => {
    const other = await freePort();
    const otherEnv = { ...env, RBEE_QUEEN_URL: `http://127.0.0.1:${other}` };
    try {
      expect((await runRbee(["queen", "start"], env)).code).toBe(0);
      expect((await runRbee(["queen", "start"], otherEnv)).code).toBe(0);
      expect(existsSync(pidFile(other))).toBe(true);
      const stop = await runRbee(["queen", "stop"], env);
      expect(stop.stdout).toMatch(/queen stopped/);
      expect(existsSync(pidFile())).toBe(false);
      const still = JSON.parse((await runRbee(["queen", "status", "--json"], otherEnv)).stdout);
      expect(still).toMatchObject({ running: true, base_url: otherEnv.RBEE_QUEEN_URL });
    } finally {
      await runRbee(["queen", "stop"], otherEnv);
    }
  });

  it("a stale pid file is detected and removed by stop", async () => {
    mkdirSync(join(home.home, "state"), { recursive: true });
    writeFileSync(pidFile(), JSON.stringify({ pid: 2 ** 22 - 1, url: env.RBEE_QUEEN_URL, started_at: 1 }));
    const status = JSON.parse((await runRbee(["queen", "status", "--json"], env)).stdout);
    expect(status).toMatchObject({ running: false, stale_pid_file: true });
    const stop = await runRbee(["queen", "stop"], env);
    expect(stop.stdout).toContain("stale pid file");
    expect(existsSync(pidFile())).toBe(false);
  });
});
