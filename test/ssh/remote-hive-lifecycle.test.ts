import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectSsh } from "../../src/ssh/connection.ts";
import { hiveStatus, installHive, localTokenPath, startHive, stopHive, uninstallHive, upgradeHive } from "../../src/ssh/remote-hive.ts";
import { resolveHost } from "../../src/ssh/resolve-host.ts";
import { narrated } from "../helpers/narration.ts";
import { freePort, sshdAvailable, startSshd, type TestSshd } from "../helpers/sshd.ts";

const BINARY = resolve("dist/rbee");

/**
 * `rbee serve --role hive --hive-id … --queen-url …` once the binary has it; before that, the
 * queen's `rbee serve --port` stands in (same /health, /v1/info, /v1/shutdown).
 */
function serveArgsFor(port: number): string[] | undefined {
  const help = spawnSync(BINARY, ["serve", "--help"], { encoding: "utf8" }).stdout ?? "";
  return help.includes("--hive-id") ? undefined : ["serve", "--port", String(port)];
}

describe.skipIf(!sshdAvailable() || !existsSync(BINARY))("remote hive lifecycle over SSH (nohup; needs root, sshd and dist/rbee)", () => {
  let sshd: TestSshd;
  let hivePort: number;
  let serveArgs: string[] | undefined;
  let queenUrl: string;
  const env = () => sshd.env;
  const remote = async (cmd: string) => {
    const conn = await connectSsh(resolveHost(sshd.alias, { env: sshd.env }), { home: sshd.keeperHome });
    try {
      return (await conn.exec(cmd)).stdout;
    } finally {
      conn.close();
    }
  };

  beforeAll(async () => {
    sshd = await startSshd({ trustHostKey: true });
    hivePort = await freePort();
    serveArgs = serveArgsFor(hivePort);
    mkdirSync(join(sshd.rbeeHome, "config"), { recursive: true });
    writeFileSync(join(sshd.rbeeHome, "config", "hives.conf"), `Host ${sshd.alias}\n  HivePort ${hivePort}\n`);
    await installHive(sshd.alias, { binaryPath: BINARY, env: sshd.env });
  });
  afterAll(() => sshd?.stop());

  it("given an installed hive, when starting, then /health answers through the SSH forward and the pid is recorded", async () => {
    // A queen URL where nothing listens: the hive's heartbeats must not reach another test's queen.
    queenUrl = `http://127.0.0.1:${await freePort()}`;
    const { result, error, events } = await narrated(() => startHive(sshd.alias, { env: env(), queenUrl, serveArgs }));
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ alias: sshd.alias, name: `hive@${sshd.alias}`, started_by_us: true, manager: "nohup", base_url: `http://127.0.0.1:${hivePort}` });
    expect((await remote("cat ~/.local/state/rbee/hive.pid")).trim()).toBe(String(result!.pid));
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(["hive_start", "hive_health", "hive_started"]));
    // The token reaches the hive through its environment, never its command line.
    const token = (await remote("cat ~/.config/rbee/hive.token")).trim();
    expect(await remote(`tr '\\0' ' ' < /proc/${result!.pid}/cmdline`)).not.toContain(token);
    expect(await remote(`tr '\\0' '\\n' < /proc/${result!.pid}/environ`)).toContain(`RBEE_API_TOKEN=${token}`);
  });

  it("given a running hive, when starting again, then it is found running and left alone", async () => {
    const { result } = await narrated(() => startHive(sshd.alias, { env: env(), serveArgs }));
    expect(result).toMatchObject({ started_by_us: false });
  });

  it("given a running hive, when asking its status, then version, pid and uptime come from /v1/info", async () => {
    const status = await hiveStatus(sshd.alias, { env: env() });
    expect(status).toMatchObject({ installed: true, running: true, manager: "nohup", version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(status.pid).toBeGreaterThan(0);
    expect(status.uptime_s).toBeGreaterThanOrEqual(0);
  });

  it("given a running hive, when uninstalling without force, then it is refused and nothing is removed", async () => {
    const { error } = await narrated(() => uninstallHive(sshd.alias, { env: env() }));
    expect(error?.code).toBe("HIVE_RUNNING");
    expect((await remote("test -x ~/.local/bin/rbee && echo yes")).trim()).toBe("yes");
  });

  it("given a running hive, when upgrading, then it is reinstalled and restarted with the same command line", async () => {
    const before = await hiveStatus(sshd.alias, { env: env() });
    const { result, error } = await narrated(() => upgradeHive(sshd.alias, { binaryPath: BINARY, env: env() }));
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ restarted: true, install: { uploaded: true } });
    const after = await hiveStatus(sshd.alias, { env: env() });
    expect(after.running).toBe(true);
    expect(after.pid).not.toBe(before.pid);
    if (!serveArgs) {
      const cmdline = await remote(`tr '\\0' ' ' < /proc/${after.pid}/cmdline`);
      expect(cmdline).toContain(`serve --role hive --bind 127.0.0.1 --port ${hivePort} --hive-id ${sshd.alias} --queen-url ${queenUrl}`);
    }
  });

  it("given a running hive, when stopping, then it shuts down through /v1/shutdown", async () => {
    const { result, events } = await narrated(() => stopHive(sshd.alias, { env: env() }));
    expect(result).toMatchObject({ was_running: true, stopped_by: "shutdown" });
    expect(events.map((e) => e.action)).toContain("hive_stop_requested");
    expect(await hiveStatus(sshd.alias, { env: env() })).toMatchObject({ running: false, installed: true });
    expect((await remote("test -e ~/.local/state/rbee/hive.pid || echo gone")).trim()).toBe("gone");
  });

  it("given a hive process that does not answer on the hive port, when stopping, then it is signalled by its recorded pid", async () => {
    const otherPort = await freePort();
    const pid = (await remote(`mkdir -p ~/.local/state/rbee; nohup ~/.local/bin/rbee serve --port ${otherPort} >/dev/null 2>&1 </dev/null & echo $! > ~/.local/state/rbee/hive.pid; echo $!`)).trim();
    await expect.poll(() => remote(`tr '\\0' ' ' < /proc/${pid}/cmdline`), { timeout: 10_000 }).toContain("rbee serve");
    const { result } = await narrated(() => stopHive(sshd.alias, { env: env(), graceMs: 2_000 }));
    expect(result).toMatchObject({ was_running: true, pid: Number(pid), stopped_by: "sigterm" });
    // Reaping is up to the remote init; a dead process may linger as a zombie for a moment.
    await expect.poll(async () => (await remote(`kill -0 ${pid} 2>/dev/null || echo gone`)).trim(), { timeout: 10_000 }).toBe("gone");
  });

  it("given a stopped hive, when uninstalling, then binary, token, launcher and state are removed on both sides", async () => {
    const { result, error } = await narrated(() => uninstallHive(sshd.alias, { env: env() }));
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ stopped: false });
    expect((await remote("cd ~ && ls -A .local/bin .config .local/state 2>&1")).trim()).not.toMatch(/rbee|hive/);
    expect(existsSync(localTokenPath(sshd.alias, sshd.env))).toBe(false);
  });

  it("given nothing installed, when starting, then it says to install first", async () => {
    const { error } = await narrated(() => startHive(sshd.alias, { env: env() }));
    expect(error?.code).toBe("HIVE_NOT_INSTALLED");
    expect(error?.hint).toContain(`rbee hive install --host ${sshd.alias}`);
  });
});
