import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonClient } from "../../src/keeper/daemon-client.ts";
import type { JobEvent } from "../../src/protocol/events.ts";
import { RBEE_BIN, runRbee, startRbeeDaemon, type Daemon } from "../helpers/rbee-binary.ts";
import { freePort, sshdAvailable, startSshd, type TestSshd } from "../helpers/sshd.ts";

describe.skipIf(!sshdAvailable() || !existsSync(RBEE_BIN))("compiled rbee: a remote hive over a real sshd", () => {
  let sshd: TestSshd;
  let queen: Daemon;
  let env: Record<string, string>;

  beforeAll(async () => {
    sshd = await startSshd({ trustHostKey: true });
    const hivePort = await freePort();
    mkdirSync(join(sshd.rbeeHome, "config"), { recursive: true });
    writeFileSync(join(sshd.rbeeHome, "config", "hives.conf"), `Host ${sshd.alias}\n  HivePort ${hivePort}\n`);
    const base = Object.fromEntries(Object.entries(sshd.env).filter(([, v]) => v !== undefined)) as Record<string, string>;
    queen = await startRbeeDaemon(["serve", "--port", "0"], base);
    env = { ...base, RBEE_QUEEN_URL: queen.url };
  }, 60_000);
  afterAll(async () => {
    await runRbee(["hive", "stop", "--host", sshd.alias], env).catch(() => {});
    await queen?.stop();
    await sshd?.stop();
  });

  it("install → start → status → infer through it → stop (as a queen job) → uninstall", async () => {
    const install = await runRbee(["hive", "install", "--host", sshd.alias, "--binary", RBEE_BIN], env, 120_000);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toMatch(new RegExp(`rbee \\d+\\.\\d+\\.\\d+ installed on ${sshd.alias}`));
    expect(install.stderr).toMatch(/sha256/i);

    const start = await runRbee(["hive", "start", "--host", sshd.alias], env, 60_000);
    expect(start.code, start.stderr).toBe(0);
    await queen.waitFor(new RegExp(`hive ${sshd.alias} registered`));

    const status = await runRbee(["hive", "status", "--host", sshd.alias, "--json"], env, 30_000);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/"running":true/);

    expect((await runRbee(["model", "create-demo", "--hive", sshd.alias], env, 60_000)).code).toBe(0);
    const infer = await runRbee(["infer", "--model", "demo-tiny", "--hive", sshd.alias, "-n", "12", "Hello"], env, 60_000);
    expect(infer.code, infer.stderr).toBe(0);
    expect(infer.stderr).toMatch(new RegExp(`\\[hive ${sshd.alias}\\] 12 tokens`));

    // the same stop function, run as a queen job: its narration arrives on the job's stream
    const client = new DaemonClient(queen.url);
    const { job_id } = await client.submit({ operation: "hive_stop", alias: sshd.alias });
    const events: JobEvent[] = [];
    const outcome = await client.stream(job_id, { onEvent: (e) => events.push(e) });
    expect(outcome.state).toBe("completed");
    expect(events.filter((e) => e.kind === "narration").length).toBeGreaterThan(1);
    expect(events.find((e) => e.kind === "result")).toMatchObject({ result: { was_running: true } });
    await queen.waitFor(new RegExp(`hive ${sshd.alias} is offline`), 10_000);

    const uninstall = await runRbee(["hive", "uninstall", "--host", sshd.alias], env, 60_000);
    expect(uninstall.code, uninstall.stderr).toBe(0);
    expect(existsSync(join(sshd.remoteHome, ".local", "bin", "rbee"))).toBe(false);
  }, 240_000);

  it("an alias with shell metacharacters is refused before anything runs", async () => {
    const res = await runRbee(["hive", "install", "--host", "gpu1;touch${IFS}/tmp/pwned"], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/INVALID_HOST_ALIAS/);
    expect(existsSync("/tmp/pwned")).toBe(false);
  });
});
