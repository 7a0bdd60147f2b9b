import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "plist";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hiveStatus, installHive, startHive, stopHive, uninstallHive } from "../../src/ssh/remote-hive.ts";
import { FAKE_LAUNCHCTL } from "../helpers/fake-launchctl.ts";
import { narrated } from "../helpers/narration.ts";
import { RBEE_BIN } from "../helpers/rbee-binary.ts";
import { freePort, sshdAvailable, startSshd, type TestSshd } from "../helpers/sshd.ts";

/**
 * A Mac over the real sshd: stand-in `uname` (Darwin arm64) and `launchctl` on the account's
 * PATH, and as the "binary" a script that runs this machine's dist/rbee (a script passes the
 * platform check, which only judges ELF and Mach-O files).
 */
describe.skipIf(!sshdAvailable() || !existsSync(RBEE_BIN))("a macOS hive over SSH: launchd agent and the Mac's folders (needs root, sshd and dist/rbee)", () => {
  let sshd: TestSshd;
  let wrapper: string;
  const support = () => join(sshd.remoteHome, "Library", "Application Support", "rbee");
  const agentFile = () => join(sshd.remoteHome, "Library", "LaunchAgents", "dev.rbee.hive.plist");

  beforeAll(async () => {
    sshd = await startSshd({ trustHostKey: true, uname: "Darwin arm64", fakeBin: { launchctl: FAKE_LAUNCHCTL } });
    mkdirSync(join(sshd.rbeeHome, "config"), { recursive: true });
    writeFileSync(join(sshd.rbeeHome, "config", "hives.conf"), `Host ${sshd.alias}\n  HivePort ${await freePort()}\n`);
    wrapper = join(sshd.rbeeHome, "rbee-wrapper");
    writeFileSync(wrapper, `#!/bin/sh\nexec ${RBEE_BIN} "$@"\n`, { mode: 0o755 });
    const install = await narrated(() => installHive(sshd.alias, { binaryPath: wrapper, env: sshd.env }));
    expect(install.error).toBeUndefined();
  });
  afterAll(() => sshd?.stop());

  it("given an install on a Mac, then the token is in ~/Library/Application Support/rbee", () => {
    expect(readFileSync(join(support(), "hive.token"), "utf8").trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(join(sshd.remoteHome, ".config", "rbee"))).toBe(false);
  });

  it("given a Mac with a login session, when starting, then launchd runs the hive from its agent", async () => {
    const queenUrl = `http://127.0.0.1:${await freePort()}`; // nothing listens: no other test's queen
    const { result, error } = await narrated(() => startHive(sshd.alias, { env: sshd.env, queenUrl }));
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ started_by_us: true, manager: "launchd" });
    const agent = parse(readFileSync(agentFile(), "utf8")) as { Label: string; ProgramArguments: string[] };
    expect(agent.Label).toBe("dev.rbee.hive");
    expect(agent.ProgramArguments).toEqual(["/bin/sh", join(support(), "hive-start.sh")]);
    expect(readFileSync(join(support(), "state", "hive.pid"), "utf8").trim()).toBe(String(result!.pid));

    const status = await narrated(() => hiveStatus(sshd.alias, { env: sshd.env }));
    expect(status.result).toMatchObject({ running: true, manager: "launchd", pid: result!.pid, log_file: "~/Library/Application Support/rbee/state/hive.log" });
  });

  it("given a running agent, when stopping, then the hive stops and the agent is gone", async () => {
    const { result, error } = await narrated(() => stopHive(sshd.alias, { env: sshd.env }));
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ was_running: true, stopped_by: "shutdown" });
    expect(existsSync(agentFile())).toBe(false);
    expect(existsSync(join(sshd.remoteHome, ".fakelaunchd", "loaded"))).toBe(false);
  });

  it("given launchd refusing the agent, when starting, then nohup runs the hive and no agent is left", async () => {
    writeFileSync(join(sshd.remoteHome, ".fakelaunchd", "refuse"), "");
    try {
      const { result, error, events } = await narrated(() => startHive(sshd.alias, { env: sshd.env }));
      expect(error).toBeUndefined();
      expect(result).toMatchObject({ started_by_us: true, manager: "nohup" });
      expect(events.some((e) => e.action === "hive_start_launchd_refused" && /Domain does not support/.test(e.human))).toBe(true);
      expect(existsSync(agentFile())).toBe(false);
      expect((await narrated(() => stopHive(sshd.alias, { env: sshd.env }))).result).toMatchObject({ was_running: true, stopped_by: "shutdown" });
    } finally {
      rmSync(join(sshd.remoteHome, ".fakelaunchd", "refuse"), { force: true });
    }
  });

  it("given a running agent, when uninstalling with --force, then agent, token and state are removed", async () => {
    expect((await narrated(() => startHive(sshd.alias, { env: sshd.env }))).result).toMatchObject({ manager: "launchd" });
    const { result, error } = await narrated(() => uninstallHive(sshd.alias, { env: sshd.env, force: true }));
    expect(error).toBeUndefined();
    expect(result!.removed).toEqual(expect.arrayContaining(["~/Library/Application Support/rbee/hive.token", "~/Library/LaunchAgents/dev.rbee.hive.plist"]));
    expect(existsSync(agentFile())).toBe(false);
    expect(existsSync(join(support(), "hive.token"))).toBe(false);
    expect(existsSync(join(sshd.remoteHome, ".fakelaunchd", "loaded"))).toBe(false);
  });
});
