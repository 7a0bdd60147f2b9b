import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hiveStatus, installHive, localTokenPath, startHive, stopHive, uninstallHive, upgradeHive } from "../../src/ssh/remote-hive.ts";
import { LocalConnection } from "../../src/ssh/local-connection.ts";
import { resolveLocalHost } from "../../src/ssh/resolve-host.ts";
import { narrated } from "../helpers/narration.ts";
import { freePort } from "../helpers/free-port.ts";
import { runRbee, startRbeeDaemon, type Daemon } from "../helpers/rbee-binary.ts";

const BINARY = resolve("dist/rbee");

/** Is pid alive as an `rbee serve`? (a zombie or a reused pid is not) */
function isRbeeServe(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").includes("rbee serve");
  } catch {
    return false;
  }
}

describe.skipIf(!existsSync(BINARY))("a hive on localhost: the same flows, no SSH (needs dist/rbee)", () => {
  let home: string;
  let rbeeHome: string;
  let hivePort: number;
  let env: NodeJS.ProcessEnv;
  let queen: Daemon | undefined;
  const pidFile = () => join(home, ".local", "state", "rbee", "hive.pid");

  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), "rbee-local-home-"));
    rbeeHome = mkdtempSync(join(tmpdir(), "rbee-local-rbee-"));
    hivePort = await freePort();
    mkdirSync(join(rbeeHome, "config"), { recursive: true });
    writeFileSync(join(rbeeHome, "config", "hives.conf"), `Host localhost\n  HivePort ${hivePort}\n`);
    // An ssh config that would fail any SSH attempt: localhost must never read it.
    mkdirSync(join(home, ".ssh"), { mode: 0o700 });
    writeFileSync(join(home, ".ssh", "config"), "Host localhost\n  HostName 192.0.2.1\n  Port 1\n");
    env = { ...process.env, HOME: home, RBEE_HOME: rbeeHome, SSH_AUTH_SOCK: "" };
  });

  afterEach(async () => {
    await queen?.stop();
    queen = undefined;
    // A hive a failed test left running is stopped by the pid it recorded.
    const pid = existsSync(pidFile()) ? Number(readFileSync(pidFile(), "utf8")) : 0;
    if (pid > 0 && isRbeeServe(pid)) process.kill(pid, "SIGKILL");
    rmSync(home, { recursive: true, force: true });
    rmSync(rbeeHome, { recursive: true, force: true });
  });

  it("given this machine, when installing, starting, checking, upgrading, stopping and uninstalling, then each works without sshd", async () => {
    const install = await narrated(() => installHive("localhost", { binaryPath: BINARY, env }));
    expect(install.error).toBeUndefined();
    expect(install.result).toMatchObject({ alias: "localhost", uploaded: true, token_created: true, path: "~/.local/bin/rbee" });
    const actions = install.events.map((e) => e.action);
    expect(actions).toContain("local_session");
    expect(actions).not.toContain("ssh_connect");
    for (const step of ["hive_upload_start", "hive_upload_done", "hive_upload_verified", "hive_installed"]) expect(actions).toContain(step);
    expect(install.events.filter((e) => e.progress).every((e) => e.progress!.unit === "bytes" && e.progress!.total === statSync(BINARY).size)).toBe(true);
    const installed = join(home, ".local", "bin", "rbee");
    expect(statSync(installed).mode & 0o777).toBe(0o755);
    expect(statSync(installed).size).toBe(statSync(BINARY).size);
    const token = readFileSync(join(home, ".config", "rbee", "hive.token"), "utf8").trim();
    expect(statSync(join(home, ".config", "rbee", "hive.token")).mode & 0o777).toBe(0o600);
    expect(readFileSync(localTokenPath("localhost", env), "utf8").trim()).toBe(token);

    // A queen URL where nothing listens: the hive's heartbeats reach no other test's queen.
    const queenUrl = `http://127.0.0.1:${await freePort()}`;
    const start = await narrated(() => startHive("localhost", { env, queenUrl }));
    expect(start.error).toBeUndefined();
    expect(start.result).toMatchObject({ alias: "localhost", started_by_us: true, manager: "nohup", base_url: `http://127.0.0.1:${hivePort}` });
    const pid = start.result!.pid!;
    expect(readFileSync(pidFile(), "utf8").trim()).toBe(String(pid));
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")).toEqual(expect.arrayContaining(["--hive-id", "localhost", "--port", String(hivePort)]));
    expect((await fetch(`http://127.0.0.1:${hivePort}/health`)).status).toBe(200);

    const status = await hiveStatus("localhost", { env });
    expect(status).toMatchObject({ alias: "localhost", installed: true, running: true, pid, version: install.result!.version });

    const upgrade = await narrated(() => upgradeHive("localhost", { binaryPath: BINARY, env }));
    expect(upgrade.error).toBeUndefined();
    expect(upgrade.result).toMatchObject({ restarted: true, install: { uploaded: true } });
    const restarted = upgrade.result!.handle!.pid!;
    expect(restarted).not.toBe(pid);
    expect(isRbeeServe(pid)).toBe(false);

    const stop = await narrated(() => stopHive("localhost", { env }));
    expect(stop.result).toMatchObject({ was_running: true, pid: restarted, stopped_by: "shutdown" });
    expect(isRbeeServe(restarted)).toBe(false);
    expect(await hiveStatus("localhost", { env })).toMatchObject({ running: false, installed: true });

    const uninstall = await narrated(() => uninstallHive("localhost", { env }));
    expect(uninstall.error).toBeUndefined();
    expect(existsSync(installed)).toBe(false);
    expect(existsSync(join(home, ".config", "rbee", "hive.token"))).toBe(false);
    expect(existsSync(localTokenPath("localhost", env))).toBe(false);
  }, 120_000);

  it("given nothing installed, when starting, then it says to install first", async () => {
    const { error } = await narrated(() => startHive("localhost", { env }));
    expect(error?.code).toBe("HIVE_NOT_INSTALLED");
    expect(error?.hint).toContain("rbee hive install --host localhost");
  });

  it("given a long command, when the flow is cancelled, then it ends at once and its processes are killed", async () => {
    const conn = new LocalConnection(resolveLocalHost(env), home, env);
    const controller = new AbortController();
    const running = conn.exec("echo $$ > pid; exec sleep 30", { signal: controller.signal });
    await expect.poll(() => existsSync(join(home, "pid")), { timeout: 5_000 }).toBe(true);
    const pid = Number(readFileSync(join(home, "pid"), "utf8"));
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: "CANCELLED" });
    expect(conn.isClosed).toBe(true);
    await expect.poll(() => existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("sleep"), { timeout: 5_000 }).toBe(false);
  });

  it("given a queen with its own localhost hive, when `rbee hive start --host localhost`, then it says so and starts nothing", async () => {
    const base = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>;
    queen = await startRbeeDaemon(["serve", "--port", "0"], base);
    const cli = { ...base, RBEE_QUEEN_URL: queen.url, RBEE_NO_AUTOSTART: "1" };
    const res = await runRbee(["hive", "start", "--host", "localhost"], cli);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/HIVE_EMBEDDED: the queen at .* already runs the hive localhost/);
    expect(existsSync(pidFile())).toBe(false);

    // The other verbs take localhost (no UsageError any more) and need no SSH.
    const status = await runRbee(["hive", "status", "--host", "localhost", "--json"], cli);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/"installed":false/);
  }, 60_000);
});
