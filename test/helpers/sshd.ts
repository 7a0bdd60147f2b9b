import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { freePort } from "./free-port.ts";

export { freePort };
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A private OpenSSH server for tests: Debian's sshd on a random loopback port with its own
 * host key and config, a throwaway account whose home is a temp folder (so an install never
 * touches a real ~/.local/bin), and a keeper-side home with its own ~/.ssh (config, key,
 * known_hosts). Needs root (useradd) and openssh-server.
 */
export interface TestSshd {
  alias: string;
  port: number;
  user: string;
  remoteHome: string;
  /** Local HOME for the keeper side: .ssh/config names `alias`, .ssh/id_ed25519 is authorized. */
  keeperHome: string;
  /** RBEE_HOME for the keeper side. */
  rbeeHome: string;
  hostKeyBlob: Buffer;
  /** The known_hosts line that trusts this server. */
  knownHostsLine: string;
  /** Environment for code under test: HOME, RBEE_HOME, no ssh-agent. */
  env: NodeJS.ProcessEnv;
  sshdLog: () => string;
  stop: () => Promise<void>;
}

export const SSHD_BIN = "/usr/sbin/sshd";

export function sshdAvailable(): boolean {
  return existsSync(SSHD_BIN) && process.getuid?.() === 0;
}

export interface SshdOptions {
  trustHostKey?: boolean;
  alias?: string;
  /** What `uname -sm` (and `-s`) print in the account's sessions (a stand-in first on its PATH): another machine kind. */
  uname?: string;
  /** More stand-in commands first on the account's PATH: name → sh script. */
  fakeBin?: Record<string, string>;
  /** Extra environment for the account's sessions (~/.ssh/environment). */
  environment?: Record<string, string>;
}

export async function startSshd(opts: SshdOptions = {}): Promise<TestSshd> {
  const alias = opts.alias ?? "testhive";
  const dir = mkdtempSync(join(tmpdir(), "rbee-sshd-"));
  const remoteHome = mkdtempSync(join(tmpdir(), "rbee-remote-"));
  const keeperHome = mkdtempSync(join(tmpdir(), "rbee-keeper-"));
  const rbeeHome = mkdtempSync(join(tmpdir(), "rbee-home-"));
  const user = `rbt${randomBytes(5).toString("hex")}`;
  let sshd: ChildProcess | undefined;
  let log = "";

  const cleanup = async () => {
    if (sshd && sshd.exitCode === null) {
      const exited = new Promise((r) => sshd!.once("exit", r));
      sshd.kill("SIGTERM");
      await exited;
    }
    await removeUser(user);
    for (const d of [dir, remoteHome, keeperHome, rbeeHome]) rmSync(d, { recursive: true, force: true });
  };

  try {
    sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "host_ed25519")]);
    sh("useradd", ["-M", "-d", remoteHome, "-s", "/bin/sh", user]);
    sh("usermod", ["-p", "*", user]); // a fresh account is locked, and sshd refuses locked accounts
    mkdirSync(join(keeperHome, ".ssh"), { mode: 0o700 });
    sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(keeperHome, ".ssh", "id_ed25519")]);
    mkdirSync(join(remoteHome, ".ssh"), { mode: 0o700 });
    writeFileSync(join(remoteHome, ".ssh", "authorized_keys"), readFileSync(join(keeperHome, ".ssh", "id_ed25519.pub")), { mode: 0o600 });
    const environment = { ...opts.environment };
    const fakeBin = { ...opts.fakeBin };
    if (opts.uname) {
      fakeBin.uname = `case "$*" in -sm) echo '${opts.uname}';; -s) echo '${opts.uname.split(" ")[0]}';; *) exec /bin/uname "$@";; esac\n`;
    }
    if (Object.keys(fakeBin).length) {
      mkdirSync(join(remoteHome, ".fakebin"));
      for (const [name, script] of Object.entries(fakeBin)) writeFileSync(join(remoteHome, ".fakebin", name), `#!/bin/sh\n${script}`, { mode: 0o755 });
      environment.PATH = `${join(remoteHome, ".fakebin")}:/usr/local/bin:/usr/bin:/bin`;
    }
    if (Object.keys(environment).length) writeFileSync(join(remoteHome, ".ssh", "environment"), Object.entries(environment).map(([k, v]) => `${k}=${v}\n`).join(""), { mode: 0o600 });
    chmodSync(remoteHome, 0o700);
    sh("chown", ["-R", `${user}:${user}`, remoteHome]);
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });

    const [type, b64] = readFileSync(join(dir, "host_ed25519.pub"), "utf8").trim().split(/\s+/);
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      writeFileSync(join(dir, "sshd_config"), sshdConfig(dir, port, user, Object.keys(environment).length > 0));
      log = "";
      sshd = spawn(SSHD_BIN, ["-D", "-e", "-f", join(dir, "sshd_config")], { stdio: ["ignore", "ignore", "pipe"] });
      sshd.stderr!.on("data", (d: Buffer) => (log += d.toString()));
      if (await waitForBanner(port, sshd, 10_000)) {
        const knownHostsLine = `[127.0.0.1]:${port} ${type} ${b64}`;
        writeFileSync(
          join(keeperHome, ".ssh", "config"),
          `Host ${alias}\n  HostName 127.0.0.1\n  Port ${port}\n  User ${user}\n  IdentityFile ~/.ssh/id_ed25519\n`,
        );
        if (opts.trustHostKey) writeFileSync(join(keeperHome, ".ssh", "known_hosts"), `${knownHostsLine}\n`);
        const env: NodeJS.ProcessEnv = { ...process.env, HOME: keeperHome, RBEE_HOME: rbeeHome };
        delete env.SSH_AUTH_SOCK;
        return {
          alias, port, user, remoteHome, keeperHome, rbeeHome, knownHostsLine, env,
          hostKeyBlob: Buffer.from(b64, "base64"),
          sshdLog: () => log,
          stop: cleanup,
        };
      }
      if (sshd.exitCode === null) sshd.kill("SIGKILL");
      if (attempt >= 3) throw new Error(`sshd did not start:\n${log}`);
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function sshdConfig(dir: string, port: number, user: string, userEnvironment: boolean): string {
  return [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${join(dir, "host_ed25519")}`,
    `PidFile ${join(dir, "sshd.pid")}`,
    "AuthorizedKeysFile .ssh/authorized_keys",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "UsePAM no",
    "StrictModes no",
    `AllowUsers ${user}`,
    "AllowTcpForwarding yes",
    "Subsystem sftp internal-sftp",
    ...(userEnvironment ? ["PermitUserEnvironment yes"] : []),
    "LogLevel ERROR",
    "",
  ].join("\n");
}

function sh(cmd: string, args: string[], tolerate = false): void {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0 && !tolerate) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr?.toString()}`);
}

/**
 * Ends what the tests started as the throwaway user (a hive, a nohup'd process), by pid, then
 * deletes the account. userdel refuses while the user still owns a process (a dying hive, a
 * zombie not yet reaped), so this polls, with a bound, until none is left.
 */
async function removeUser(user: string): Promise<void> {
  const pids = () => (spawnSync("ps", ["-u", user, "-o", "pid="], { encoding: "utf8" }).stdout ?? "").split(/\s+/).filter(Boolean).map(Number);
  const deadline = Date.now() + 10_000;
  for (;;) {
    for (const pid of pids()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    const r = spawnSync("userdel", [user], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    if (r.status === 0 || r.status === 6 /* no such user */ || Date.now() > deadline) return;
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Polls until the port answers with an SSH banner, sshd exits, or the bound passes. */
async function waitForBanner(port: number, proc: ChildProcess, boundMs: number): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  while (Date.now() < deadline && proc.exitCode === null) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = createConnection({ host: "127.0.0.1", port });
      const t = setTimeout(() => (sock.destroy(), resolve(false)), 1000);
      sock.once("data", (d) => (clearTimeout(t), sock.destroy(), resolve(d.toString().startsWith("SSH-2.0"))));
      sock.once("error", () => (clearTimeout(t), resolve(false)));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
