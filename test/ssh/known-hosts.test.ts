import { spawnSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendKnownHost, checkHostKey, fingerprint, knownHostsName } from "../../src/ssh/known-hosts.ts";

/** An ssh-ed25519 public key blob: string "ssh-ed25519", string <32 key bytes>. */
function newKey(): Buffer {
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([field(Buffer.from("ssh-ed25519")), field(randomBytes(32))]);
}

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update(name).digest("base64")}`;
}

describe("known_hosts", () => {
  let dir: string;
  let file: string;
  const key = newKey();
  const other = newKey();
  const line = (hosts: string, k: Buffer = key) => `${hosts} ssh-ed25519 ${k.toString("base64")}`;
  const check = (host: string, port: number, k: Buffer = key) => checkHostKey(host, port, k, { user: file });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "rbee-kh-"));
    file = join(dir, "known_hosts");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("given a plain entry in a comma list, when the key matches, then it is known", () => {
    writeFileSync(file, `# comment\n${line("other,gpu1.lan,10.0.0.5")}\n`);
    expect(check("gpu1.lan", 22).status).toBe("known");
    expect(check("GPU1.LAN", 22).status).toBe("known");
  });

  it("given a hashed entry, when the key matches, then it is known", () => {
    writeFileSync(file, `${line(hashed("gpu1.lan"))}\n${line(hashed("[127.0.0.1]:2222"), other)}\n`);
    expect(check("gpu1.lan", 22).status).toBe("known");
    expect(check("127.0.0.1", 2222, other).status).toBe("known");
    expect(check("gpu2.lan", 22).status).toBe("unknown");
  });

  it("given a file hashed by OpenSSH's own ssh-keygen -H, when checking, then its names match", () => {
    writeFileSync(file, `${line("gpu1.lan")}\n${line("[127.0.0.1]:2222", other)}\n`);
    const r = spawnSync("ssh-keygen", ["-H", "-f", file], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(readFileSync(file, "utf8")).not.toContain("gpu1.lan");
    expect(check("gpu1.lan", 22).status).toBe("known");
    expect(check("127.0.0.1", 2222, other).status).toBe("known");
    expect(check("127.0.0.1", 2222).status).toBe("changed");
  });

  it("given [host]:port entries, when the port differs, then the entry does not apply", () => {
    writeFileSync(file, `${line("[127.0.0.1]:2222")}\n`);
    expect(check("127.0.0.1", 2222).status).toBe("known");
    expect(check("127.0.0.1", 22).status).toBe("unknown");
    expect(check("127.0.0.1", 2223).status).toBe("unknown");
  });

  it("given wildcards and a negation, when matching, then OpenSSH's pattern rules apply", () => {
    writeFileSync(file, `${line("*.lan,!bad.lan")}\n`);
    expect(check("gpu1.lan", 22).status).toBe("known");
    expect(check("bad.lan", 22).status).toBe("unknown");
  });

  it("given a different key of the same type, when checking, then it is reported as changed with the old fingerprint", () => {
    writeFileSync(file, `${line("gpu1.lan", other)}\n`);
    expect(check("gpu1.lan", 22)).toEqual({ status: "changed", file, line: 1, knownFingerprint: fingerprint(other) });
  });

  it("given a @revoked line for the key, when checking, then it is revoked even if also listed", () => {
    writeFileSync(file, `${line("gpu1.lan")}\n@revoked ${line("*")}\n`);
    expect(check("gpu1.lan", 22).status).toBe("revoked");
  });

  it("given an appended key, when checking again, then it is known under [host]:port", () => {
    appendKnownHost("127.0.0.1", 2222, key, file);
    expect(readFileSync(file, "utf8")).toBe(`${line("[127.0.0.1]:2222")}\n`);
    expect(check("127.0.0.1", 2222).status).toBe("known");
    expect(knownHostsName("Gpu1", 22)).toBe("gpu1");
  });

  it("fingerprints like ssh-keygen -l (SHA256, unpadded base64)", () => {
    expect(fingerprint(key)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
