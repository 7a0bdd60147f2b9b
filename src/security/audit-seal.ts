import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createHash } from "node:crypto";

/**
 * The audit log's seal: how many records each file holds and the hash of its last one,
 * kept apart from the log (`audit.log.seal`, written to a temp file, then renamed). A log
 * cut at its end still has a whole chain; only the seal can say records are missing.
 * Rotated files are `audit.log.1`, `audit.log.2` … (1 the oldest); the seal lists them in
 * order, so the chain is followed from file to file.
 */
export interface SealedFile {
  name: string;
  records: number;
  /** Hash of the file's last record (the hash the chain enters it with, while empty). */
  last: string;
}

export interface Seal {
  v: 1;
  /** The hash the oldest kept file's first record chains to (GENESIS until files are pruned). */
  base: string;
  /** Records in rotated files deleted since (keep_files). */
  pruned: number;
  /** Oldest first; the last entry is the live file. */
  files: SealedFile[];
}

export const GENESIS = "0".repeat(64);

export const sealFile = (log: string) => `${log}.seal`;

export function recordHash(prev: string, body: Record<string, unknown>): string {
  return createHash("sha256").update(prev).update(JSON.stringify(body)).digest("hex");
}

/** The seal next to `log`, or undefined when there is none (or it is unreadable). */
export function readSeal(log: string): Seal | undefined {
  try {
    const seal = JSON.parse(readFileSync(sealFile(log), "utf8")) as Seal;
    return seal?.v === 1 && Array.isArray(seal.files) && seal.files.length ? seal : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the seal atomically; throws like any write (the caller counts the failure). */
export function writeSeal(log: string, seal: Seal): void {
  const tmp = `${sealFile(log)}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(seal)}\n`, { mode: 0o600 });
    renameSync(tmp, sealFile(log));
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** `audit.log.N` files next to `log`, oldest first (for a log without a seal). */
export function rotatedFiles(log: string): string[] {
  const prefix = `${basename(log)}.`;
  let names: string[] = [];
  try {
    names = readdirSync(dirname(log));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)));
}

/** The next free rotated name: one past the highest number in the seal or on disk. */
export function nextRotatedName(log: string, seal: Seal): string {
  const prefix = `${basename(log)}.`;
  const numbers = [...seal.files.map((f) => f.name), ...rotatedFiles(log)].map((n) => (n.startsWith(prefix) ? Number(n.slice(prefix.length)) : 0)).filter(Number.isFinite);
  return `${prefix}${Math.max(0, ...numbers) + 1}`;
}

export interface FileScan {
  exists: boolean;
  /** Complete lines, each one record (parsed lazily by the caller). */
  lines: string[];
  bytes: number;
}

/** Reads one log file's lines; a missing file is empty. Throws on other errors (EISDIR …). */
export function scanFile(path: string): FileScan {
  if (!existsSync(path)) return { exists: false, lines: [], bytes: 0 };
  const text = readFileSync(path, "utf8");
  return { exists: true, lines: text.split("\n").filter((l) => l.length), bytes: Buffer.byteLength(text) };
}

export const inDir = (log: string, name: string) => join(dirname(log), name);

export function hashOfLine(line: string | undefined): string | undefined {
  return field(line, "hash");
}

export function prevOfLine(line: string | undefined): string | undefined {
  return field(line, "prev");
}

function field(line: string | undefined, name: "hash" | "prev"): string | undefined {
  try {
    const value = (JSON.parse(line ?? "") as Record<string, unknown>)[name];
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A seal for a log that has none (written before seals, or the seal was deleted). */
export function sealFromDisk(log: string): Seal {
  const names = [...rotatedFiles(log), basename(log)];
  const scans = names.map((name) => scanFile(inDir(log, name)));
  const base = prevOfLine(scans.find((s) => s.lines.length)?.lines[0]) ?? GENESIS;
  let last = base;
  const files = names.map((name, i) => {
    last = hashOfLine(scans[i].lines.at(-1)) ?? last;
    return { name, records: scans[i].lines.length, last };
  });
  return { v: 1, base, pruned: 0, files };
}
