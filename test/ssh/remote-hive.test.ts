import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprint } from "../../src/security/api-token.ts";
import { connectSsh } from "../../src/ssh/connection.ts";
import { installHive, localTokenPath } from "../../src/ssh/remote-hive.ts";
import { resolveHost } from "../../src/ssh/resolve-host.ts";
import { narrated } from "../helpers/narration.ts";
import { freePort, sshdAvailable, startSshd, type TestSshd } from "../helpers/sshd.ts";

const BINARY = resolve("dist/rbee");

describe.skipIf(!sshdAvailable() || !existsSync(BINARY))("hive install over SSH (needs root, sshd and dist/rbee)", () => {
  let sshd: TestSshd;
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
  });
  afterAll(() => sshd?.stop());

  it("given a fresh machine, when installing, then the binary runs there and the API token is 0600 on both sides", async () => {
    const { result, error, events } = await narrated(() => installHive(sshd.alias, { binaryPath: BINARY, env: sshd.env }));
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ alias: sshd.alias, uploaded: true, token_created: true, path: "~/.local/bin/rbee" });
    expect(result!.version).toMatch(/^\d+\.\d+\.\d+/);

    // The story: every step, with byte progress on the upload.
    const actions = events.map((e) => e.action);
    for (const step of ["ssh_connected", "hive_install_platform", "hive_upload_start", "hive_upload_done", "hive_upload_verified", "hive_install_version", "hive_token", "hive_installed"]) {
      expect(actions).toContain(step);
    }
    expect(events.filter((e) => e.progress).every((e) => e.progress!.unit === "bytes" && e.progress!.total === statSync(BINARY).size)).toBe(true);

    expect((await remote("~/.local/bin/rbee --version")).trim()).toBe(result!.version);
    expect((await remote("stat -c %a ~/.local/bin/rbee ~/.config/rbee/hive.token")).split("\n").slice(0, 2)).toEqual(["755", "600"]);
    expect(await remote("ls -a ~/.local/bin")).not.toContain(".rbee.tmp-");
    const remoteToken = (await remote("cat ~/.config/rbee/hive.token")).trim();
    expect(remoteToken).toMatch(/^[0-9a-f]{64}$/);
    const local = localTokenPath(sshd.alias, sshd.env);
    expect(readFileSync(local, "utf8").trim()).toBe(remoteToken);
    expect(statSync(local).mode & 0o777).toBe(0o600);
    expect(events.map((e) => e.human).join("\n")).not.toContain(remoteToken);
    // The story names the token by its sha256 fingerprint, not by its first characters.
    const tokenLine = events.find((e) => e.action === "hive_token")!.human;
    expect(tokenLine).toContain(fingerprint(remoteToken));
    expect(tokenLine).not.toContain(remoteToken.slice(0, 6));
  });

  it("given the same build already installed, when installing again, then the upload is skipped and the token kept", async () => {
    const before = (await remote("cat ~/.config/rbee/hive.token")).trim();
    const { result, events } = await narrated(() => installHive(sshd.alias, { binaryPath: BINARY, env: sshd.env }));
    expect(result).toMatchObject({ uploaded: false, token_created: false });
    expect(events.some((e) => e.action === "hive_install_skip" && /already installed/.test(e.human))).toBe(true);
    expect((await remote("cat ~/.config/rbee/hive.token")).trim()).toBe(before);
  });

  it("given an install in progress, when the signal aborts, then it ends at once as cancelled", async () => {
    const controller = new AbortController();
    const started = { at: 0 };
    const { error } = await narrated(
      () => installHive(sshd.alias, { binaryPath: BINARY, env: sshd.env, force: true, signal: controller.signal }),
      (e) => e.action === "hive_upload_start" && ((started.at = Date.now()), controller.abort()),
    );
    expect(Date.now() - started.at).toBeLessThan(1_000);
    expect(error?.code).toBe("CANCELLED");
  });

  it.each(["gpu1;rm -rf ~", "$(id)", "-oProxyCommand=id", "a b", "`id`"])("given the alias %j, when installing, then it is rejected before connecting", async (alias) => {
    const { error } = await narrated(() => installHive(alias, { binaryPath: BINARY, env: sshd.env }));
    expect(error?.code).toBe("INVALID_HOST_ALIAS");
  });
});

describe.skipIf(!sshdAvailable())("hive install against a server that accepts TCP and then stalls", () => {
  let sshd: TestSshd;
  let server: Server;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    sshd = await startSshd();
    server = createServer((s) => sockets.push(s));
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    mkdirSync(join(sshd.rbeeHome, "config"), { recursive: true });
    writeFileSync(join(sshd.rbeeHome, "config", "hives.conf"), `Host stall\n  HostName 127.0.0.1\n  Port ${port}\n`);
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server?.close(r));
    await sshd?.stop();
  });

  it("given a 1 s install limit, when the server never answers, then the install ends with the narrated timeout", async () => {
    const started = Date.now();
    const { error, events } = await narrated(() => installHive("stall", { binaryPath: BINARY, env: sshd.env, timeoutMs: 1_000 }));
    expect(error?.code).toBe("TIMEOUT");
    expect(error?.message).toBe("hive install on stall timed out after 1 s");
    expect(events.some((e) => e.action === "timeout" && e.level === "error" && e.human === error.message)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
