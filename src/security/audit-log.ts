import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { rbeePaths } from "../config/paths.ts";
import { readConfig } from "../config/config-file.ts";

/**
 * The audit log: append-only JSON lines, off by default (RBEE_AUDIT=1 or `"audit": true`
 * in config.json). Each record carries the hash of the one before it, so a removed or
 * edited line breaks the chain and `rbee audit verify` finds it.
 */
export const auditFile = () => join(rbeePaths().state, "audit.log");

export const GENESIS = "0".repeat(64);

let state: { file: string; lastHash: string } | undefined | null;

function enabled(): boolean {
  if (process.env.RBEE_AUDIT === "1") return true;
  if (process.env.RBEE_AUDIT === "0") return false;
  try {
    return readConfig().audit === true;
  } catch {
    return false;
  }
}

export function recordHash(prev: string, body: Record<string, unknown>): string {
  return createHash("sha256").update(prev).update(JSON.stringify(body)).digest("hex");
}

/** Appends one audit record (no-op while auditing is off). */
export function audit(event: string, fields: Record<string, unknown> = {}): void {
  if (state === undefined) state = enabled() ? { file: auditFile(), lastHash: lastHashOf(auditFile()) } : null;
  if (!state) return;
  const body = { ts: new Date().toISOString(), event, ...fields, prev: state.lastHash };
  const hash = recordHash(state.lastHash, body);
  mkdirSync(dirname(state.file), { recursive: true });
  appendFileSync(state.file, `${JSON.stringify({ ...body, hash })}\n`, { mode: 0o600 });
  state.lastHash = hash;
}

/** Forget the cached switch and chain head (tests switch RBEE_HOME and RBEE_AUDIT). */
export function resetAudit(): void {
  state = undefined;
}

function lastHashOf(file: string): string {
  if (!existsSync(file)) return GENESIS;
  const lines = readFileSync(file, "utf8").trimEnd().split("\n");
  try {
    return (JSON.parse(lines.at(-1) ?? "") as { hash?: string }).hash ?? GENESIS;
  } catch {
    return GENESIS;
  }
}

export type VerifyResult = { ok: true; records: number } | { ok: false; records: number; line: number; problem: string };

/** Walks the chain and reports the first line that was edited, removed or inserted. */
export function verifyAuditLog(file = auditFile()): VerifyResult {
  if (!existsSync(file)) return { ok: true, records: 0 };
  const lines = readFileSync(file, "utf8").split("\n").filter((l) => l.length);
  let prev = GENESIS;
  for (const [i, line] of lines.entries()) {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line);
    } catch {
      return { ok: false, records: lines.length, line: i + 1, problem: "not a JSON record" };
    }
    const { hash, ...body } = record;
    if (body.prev !== prev) return { ok: false, records: lines.length, line: i + 1, problem: "the chain is broken here: a line before it is missing or was inserted" };
    if (recordHash(prev, body) !== hash) return { ok: false, records: lines.length, line: i + 1, problem: "the record was changed after it was written" };
    prev = hash as string;
  }
  return { ok: true, records: lines.length };
}
