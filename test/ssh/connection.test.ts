import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { connectSsh, type ConnectOptions } from "../../src/ssh/connection.ts";
import { fingerprint } from "../../src/ssh/known-hosts.ts";
import { resolveHost } from "../../src/ssh/resolve-host.ts";
import { shellQuote } from "../../src/ssh/shell-quote.ts";
import { sshdAvailable, startSshd, type TestSshd } from "../helpers/sshd.ts";
import { NASTY } from "../helpers/nasty-values.ts";

describe.skipIf(!sshdAvailable())("SSH connection against a private sshd", () => {
  let sshd: TestSshd;
  let knownHosts: string;
  const connect = (opts: ConnectOptions = {}) => connectSsh(resolveHost(sshd.alias, { env: sshd.env }), { home: sshd.keeperHome, ...opts });

  beforeAll(async () => {
    sshd = await startSshd();
    knownHosts = join(sshd.keeperHome, ".ssh", "known_hosts");
  });
  afterAll(() => sshd?.stop());
  beforeEach(() => rmSync(knownHosts, { force: true }));

  it("given an unknown host key, when connecting, then it is refused with its fingerprint and the flag that accepts it", async () => {
    const err = await connect().catch((e) => e);
    expect(err.code).toBe("HOST_KEY_UNKNOWN");
    expect(err.message).toContain(fingerprint(sshd.hostKeyBlob));
    expect(err.hint).toContain("--accept-new-host-key");
  });

  it("given --accept-new-host-key, when connecting, then the key is added and the next connection needs no flag", async () => {
    const first = await connect({ acceptNewHostKey: true });
    first.close();
    expect(readFileSync(knownHosts, "utf8")).toBe(`${sshd.knownHostsLine}\n`);
    const second = await connect();
    expect((await second.exec("echo ok")).stdout).toBe("ok\n");
    second.close();
  });

  it("given a different key recorded for the host, when connecting even with --accept-new-host-key, then it is refused as changed", async () => {
    const fake = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from("ssh-ed25519"), Buffer.from([0, 0, 0, 32]), randomBytes(32)]);
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ssh-ed25519 ${fake.toString("base64")}\n`);
    const err = await connect({ acceptNewHostKey: true }).catch((e) => e);
    expect(err.code).toBe("HOST_KEY_CHANGED");
    expect(err.message).toContain(fingerprint(sshd.hostKeyBlob));
    expect(err.message).toContain(fingerprint(fake));
    expect(readFileSync(knownHosts, "utf8")).not.toContain(sshd.hostKeyBlob.toString("base64"));
  });

  it("given values full of shell metacharacters, when echoed remotely with printf %s, then they come back literally", async () => {
    writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
    const conn = await connect();
    try {
      for (const value of NASTY) {
        const r = await conn.exec(`printf %s ${shellQuote(value)}`);
        expect(r).toEqual({ stdout: value, stderr: "", code: 0 });
      }
    } finally {
      conn.close();
    }
  });

  it("given a dead ssh-agent socket, when connecting, then the identity file is still tried and works", async () => {
    writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
    const host = resolveHost(sshd.alias, { env: { ...sshd.env, SSH_AUTH_SOCK: join(sshd.keeperHome, "no-agent.sock") } });
    const conn = await connectSsh(host, { home: sshd.keeperHome });
    expect((await conn.exec("echo ok")).stdout).toBe("ok\n");
    conn.close();
  });

  it("given only a key the server does not accept, when connecting, then SSH_AUTH_FAILED names the key tried", async () => {
    writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
    const other = join(sshd.keeperHome, ".ssh", "other_key");
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    const host = { ...resolveHost(sshd.alias, { env: sshd.env }), identityFiles: [other] };
    const err = await connectSsh(host, { home: sshd.keeperHome }).catch((e) => e);
    expect(err.code).toBe("SSH_AUTH_FAILED");
    expect(err.message).toContain(other);
  });

  it("given a running command, when the signal aborts, then the call ends at once and the connection closes", async () => {
    writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
    const conn = await connect();
    const controller = new AbortController();
    const pending = conn.exec("sleep 30", { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: "CANCELLED" });
    expect(conn.isClosed).toBe(true);
  });

  it("given a command that outlives its limit, when it runs, then it ends with SSH_TIMEOUT", async () => {
    writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
    const conn = await connect();
    try {
      await expect(conn.exec("sleep 30", { timeoutMs: 300 })).rejects.toMatchObject({ code: "SSH_TIMEOUT" });
      expect((await conn.exec("echo still-usable")).stdout).toBe("still-usable\n");
    } finally {
      conn.close();
    }
  });
});

describe("SSH connection against a server that accepts and then stalls", () => {
  let server: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    server = createServer((s) => sockets.push(s)); // never says a word
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it("given a short ready timeout, when connecting, then it ends with SSH_TIMEOUT instead of hanging", async () => {
    const port = (server.address() as { port: number }).port;
    const host = { alias: "stall", hostname: "127.0.0.1", user: "nobody", port, hivePort: 7835, identityFiles: [] as string[], agent: "/nonexistent" };
    const started = Date.now();
    const err = await connectSsh(host, { readyTimeoutMs: 500, knownHosts: { user: "/nonexistent/kh" } }).catch((e) => e);
    expect(err.code).toBe("SSH_TIMEOUT");
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
