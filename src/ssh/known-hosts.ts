import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { localHome } from "./local-home.ts";

/**
 * known_hosts checking as OpenSSH does it: plain patterns (comma lists, `*`/`?` wildcards,
 * `!` negation), hashed names (`|1|salt|hash`, HMAC-SHA1 of the name keyed by the salt),
 * `[host]:port` names for ports other than 22, @revoked lines. @cert-authority lines are
 * skipped (rbee does not do host certificates).
 */
export type HostKeyVerdict =
  | { status: "known"; file: string; line: number }
  | { status: "unknown"; otherTypes: string[] }
  | { status: "changed"; file: string; line: number; knownFingerprint: string }
  | { status: "revoked"; file: string; line: number };

export interface KnownHostsFiles {
  /** Read and appended to: ~/.ssh/known_hosts. */
  user: string;
  /** Read only: /etc/ssh/ssh_known_hosts. */
  global?: string;
}

interface Entry {
  file: string;
  line: number;
  marker?: string;
  hosts: string;
  key: Buffer;
}

export function defaultKnownHostsFiles(home: string = localHome()): KnownHostsFiles {
  return { user: join(home, ".ssh", "known_hosts"), global: "/etc/ssh/ssh_known_hosts" };
}

/** The name OpenSSH stores: `host`, or `[host]:port` when the port is not 22. */
export function knownHostsName(hostname: string, port: number): string {
  const host = hostname.toLowerCase();
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's fingerprint format: `SHA256:` and unpadded base64 of the key blob's digest. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** The algorithm name inside an SSH public key blob (its first string field). */
export function keyType(key: Buffer): string {
  if (key.length < 4) return "unknown";
  const len = key.readUInt32BE(0);
  return key.subarray(4, 4 + len).toString("latin1");
}

export function checkHostKey(hostname: string, port: number, key: Buffer, files: KnownHostsFiles = defaultKnownHostsFiles()): HostKeyVerdict {
  const name = knownHostsName(hostname, port);
  const entries = readEntries(files).filter((e) => e.marker !== "@cert-authority" && hostMatches(e.hosts, name));
  const revoked = entries.find((e) => e.marker === "@revoked" && e.key.equals(key));
  if (revoked) return { status: "revoked", file: revoked.file, line: revoked.line };
  const plain = entries.filter((e) => !e.marker);
  const match = plain.find((e) => e.key.equals(key));
  if (match) return { status: "known", file: match.file, line: match.line };
  const type = keyType(key);
  const sameType = plain.find((e) => keyType(e.key) === type);
  if (sameType) return { status: "changed", file: sameType.file, line: sameType.line, knownFingerprint: fingerprint(sameType.key) };
  return { status: "unknown", otherTypes: [...new Set(plain.map((e) => keyType(e.key)))] };
}

/** Key types already recorded for a host: preferred in negotiation, as OpenSSH does. */
export function knownKeyTypes(hostname: string, port: number, files: KnownHostsFiles = defaultKnownHostsFiles()): string[] {
  const name = knownHostsName(hostname, port);
  const types = readEntries(files)
    .filter((e) => !e.marker && hostMatches(e.hosts, name))
    .map((e) => keyType(e.key));
  return [...new Set(types)];
}

/** Appends `name type base64` to the user's known_hosts (creating ~/.ssh 0700 when needed). */
export function appendKnownHost(hostname: string, port: number, key: Buffer, file: string = defaultKnownHostsFiles().user): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const existing = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  const sep = existing && !existing.endsWith("\n") ? "\n" : "";
  appendFileSync(file, `${sep}${knownHostsName(hostname, port)} ${keyType(key)} ${key.toString("base64")}\n`, { mode: 0o600 });
  if (existing === undefined) chmodSync(file, 0o600);
}

function readEntries(files: KnownHostsFiles): Entry[] {
  const entries: Entry[] = [];
  for (const file of [files.user, files.global]) {
    if (!file || !existsSync(file)) continue;
    readFileSync(file, "utf8").split("\n").forEach((raw, i) => {
      const entry = parseLine(raw, file, i + 1);
      if (entry) entries.push(entry);
    });
  }
  return entries;
}

function parseLine(raw: string, file: string, line: number): Entry | undefined {
  const text = raw.trim();
  if (!text || text.startsWith("#")) return undefined;
  const fields = text.split(/\s+/);
  const marker = fields[0].startsWith("@") ? fields.shift() : undefined;
  const [hosts, type, b64] = fields;
  if (!hosts || !type || !b64) return undefined;
  const key = Buffer.from(b64, "base64");
  if (keyType(key) !== type && !(type.startsWith("rsa-sha2") && keyType(key) === "ssh-rsa")) return undefined;
  return { file, line, marker, hosts, key };
}

function hostMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith("|1|")) return hashedMatches(hosts, name);
  let matched = false;
  for (const pattern of hosts.toLowerCase().split(",")) {
    const negated = pattern.startsWith("!");
    if (wildcardMatch(negated ? pattern.slice(1) : pattern, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function hashedMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split("|");
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const actual = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function wildcardMatch(pattern: string, name: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === name;
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(name);
}
