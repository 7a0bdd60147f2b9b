import { appendFileSync, mkdirSync, renameSync, rmSync, statSync, truncateSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { rbeePaths } from "../config/paths.ts";
import { tryGetNarration } from "../narration/context.ts";
import { auditSettings, type AuditSettings } from "./audit-settings.ts";
import { writeLogLine } from "../narration/log-sink.ts";
import { hashOfLine, inDir, nextRotatedName, readSeal, recordHash, scanFile, sealFromDisk, writeSeal, type Seal } from "./audit-seal.ts";

export { GENESIS, recordHash } from "./audit-seal.ts";

/**
 * The audit log: append-only JSON lines, off by default (RBEE_AUDIT=1 or `"audit": true`
 * in config.json). Each record carries the hash of the one before it, so a removed or
 * edited line breaks the chain; the seal (audit-seal.ts) counts records, so a cut tail
 * shows too. A failed write never throws: it is counted, logged and shown in /v1/info and
 * /metrics, and the daemon carries on or refuses changes (failure_action).
 */
export const auditFile = () => join(rbeePaths().state, "audit.log");

/** Longest string kept in a record: an attacker's 14 KB path must not become 14 KB of log. */
const MAX_FIELD_CHARS = 256;

interface Writer {
  settings: AuditSettings;
  file: string;
  /** Loaded on the first write (and again after a failure to load). */
  seal?: Seal;
  /** Bytes of complete records in the live file: a failed append is cut back to this. */
  size: number;
  /** An append failed midway: the file may end with part of a line. */
  dirty: boolean;
  /** Records about the log itself, written before the next event. */
  notes: Record<string, unknown>[];
}

const health = { failedWrites: 0, lost: 0, lostSince: 0, failingSince: 0, error: "", loggedAt: 0 };
let writer: Writer | null | undefined;

/** Why the settings could not be read (openAuditLog throws it: a daemon does not start). */
let settingsError: unknown;

function current(): Writer | null {
  if (writer === undefined) {
    try {
      const settings = auditSettings();
      writer = settings.enabled ? { settings, file: auditFile(), size: 0, dirty: false, notes: [] } : null;
    } catch (err) {
      settingsError = err;
      writer = null;
    }
  }
  return writer;
}

/**
 * Appends one audit record (no-op while auditing is off). Inside a job it carries the
 * job's id, correlation id and the token fingerprint of who asked. Returns false when
 * the record could not be written. Never throws.
 */
export function audit(event: string, fields: Record<string, unknown> = {}): boolean {
  const w = current();
  if (!w) return true;
  const ctx = tryGetNarration();
  const job = ctx ? { job_id: ctx.jobId, correlation_id: ctx.correlationId, ...(ctx.actorToken ? { actor_token: ctx.actorToken } : {}) } : {};
  const body = { ts: new Date().toISOString(), event, ...job, ...capFields(fields) };
  try {
    if (!prepare(w)) return lose(w);
  } catch (err) {
    return lose(w, err);
  }
  return append(w, body) || lose(w);
}

/**
 * Opens the log when a daemon starts, so a cut tail or an unwritable file is reported (and
 * counted) at once, not at the first request. Throws only for a config.json it cannot read.
 */
export function openAuditLog(): void {
  const w = current();
  if (settingsError) throw settingsError;
  if (!w) return;
  try {
    if (prepare(w)) recovered(w);
  } catch (err) {
    noteFailure(w, err);
  }
}

/**
 * Whether a request that changes things may go on: always, unless failure_action is
 * `refuse` and the log cannot be written right now (then the caller answers 503).
 */
export function auditAdmits(): boolean {
  const w = current();
  if (!w || w.settings.failureAction !== "refuse") return true;
  if (w.seal && !health.failingSince) return true;
  try {
    // Not yet opened, or failing: try now (a pending gap record is the real test).
    if (!prepare(w)) return false;
    appendFileSync(w.file, "", { mode: 0o600 });
    writeSeal(w.file, w.seal!);
  } catch (err) {
    noteFailure(w, err);
    return false;
  }
  recovered(w);
  return true;
}

export interface AuditStatus {
  enabled: boolean;
  failure_action?: "continue" | "refuse";
  /** The last write failed (the dashboard warns). */
  failing?: boolean;
  failed_writes?: number;
  /** Records lost since the last successful write. */
  lost_records?: number;
  /** The error's code (ENOSPC, EISDIR …): never a path. */
  error?: string;
}

export function auditStatus(): AuditStatus {
  const w = current();
  if (!w) return { enabled: false };
  return {
    enabled: true,
    failure_action: w.settings.failureAction,
    failing: health.failingSince > 0,
    failed_writes: health.failedWrites,
    lost_records: health.lost,
    ...(health.failingSince ? { error: health.error } : {}),
  };
}

/** The audit settings in force, or undefined while auditing is off. */
export const activeAuditSettings = (): AuditSettings | undefined => current()?.settings;

/** Forget the cached settings, chain head and health (tests switch RBEE_HOME and RBEE_AUDIT). */
export function resetAudit(): void {
  writer = undefined;
  settingsError = undefined;
  Object.assign(health, { failedWrites: 0, lost: 0, lostSince: 0, failingSince: 0, error: "", loggedAt: 0 });
}

/**
 * Opens the log (once), cuts back a half-written line, and writes pending notes and the
 * count of lost records. False when one of those could not be written (already counted).
 */
function prepare(w: Writer): boolean {
  if (!w.seal) {
    mkdirSync(dirname(w.file), { recursive: true, mode: 0o700 });
    const opened = openSeal(w.file);
    w.seal = opened.seal;
    w.size = opened.size;
    w.notes.push(...opened.notes);
    for (const note of opened.notes) logAuditProblem(`${note.event}: ${JSON.stringify(note)}`);
    if (opened.notes.length) writeSeal(w.file, w.seal);
  }
  if (w.dirty) {
    // Only our own half line is cut; a file that is gone or shorter is left for verify to report.
    const size = statSync(w.file, { throwIfNoEntry: false });
    if (size?.isFile() && size.size > w.size) truncateSync(w.file, w.size);
    w.dirty = false;
  }
  while (w.notes.length) {
    if (!append(w, { ts: new Date().toISOString(), ...w.notes[0] })) return false;
    w.notes.shift();
  }
  if (health.lost) {
    const gap = { ts: new Date().toISOString(), event: "audit_gap", lost: health.lost, since: new Date(health.lostSince).toISOString(), error: health.error };
    if (!append(w, gap)) return false;
    health.lost = 0;
  }
  return true;
}

/** Loads the seal and checks the live file against it; a mismatch freezes the file. */
function openSeal(file: string): { seal: Seal; size: number; notes: Record<string, unknown>[] } {
  const scan = scanFile(file);
  const seal = readSeal(file);
  if (!seal) {
    const fresh = sealFromDisk(file);
    const records = fresh.files.reduce((n, f) => n + f.records, 0);
    return { seal: fresh, size: scan.bytes, notes: records ? [{ event: "audit_seal_created", records, reason: "no seal was found" }] : [] };
  }
  const live = seal.files.at(-1)!;
  const found = scan.lines.length;
  const hashAt = (i: number) => hashOfLine(scan.lines[i]);
  if (found >= live.records && (live.records === 0 || hashAt(live.records - 1) === live.last)) {
    // Records written after the last seal (a crash between the two writes) are caught up.
    if (found > live.records) Object.assign(live, { records: found, last: hashAt(found - 1) ?? live.last });
    return { seal, size: scan.bytes, notes: [] };
  }
  // Cut or replaced since it was sealed: keep it, under its sealed count, for verify to report.
  const entering = seal.files.at(-2)?.last ?? seal.base;
  const actualLast = found ? (hashAt(found - 1) ?? live.last) : entering;
  const frozen = nextRotatedName(file, seal);
  if (scan.exists) renameSync(file, inDir(file, frozen));
  live.name = frozen;
  seal.files.push({ name: basename(file), records: 0, last: actualLast });
  return { seal, size: 0, notes: [{ event: "audit_seal_mismatch", file: frozen, sealed: live.records, found }] };
}

/** Appends one record after the chain head, rotating first when the file is full. */
function append(w: Writer, fields: Record<string, unknown>): boolean {
  const seal = w.seal!;
  const prev = seal.files.at(-1)!.last;
  const body = { ...fields, prev };
  const hash = recordHash(prev, body);
  const line = `${JSON.stringify({ ...body, hash })}\n`;
  const bytes = Buffer.byteLength(line);
  try {
    if (seal.files.at(-1)!.records > 0 && w.size + bytes > w.settings.maxFileBytes) rotate(w);
    appendFileSync(w.file, line, { mode: 0o600 });
  } catch (err) {
    w.dirty = true;
    noteFailure(w, err);
    return false;
  }
  w.size += bytes;
  Object.assign(seal.files.at(-1)!, { records: seal.files.at(-1)!.records + 1, last: hash });
  try {
    writeSeal(w.file, seal);
  } catch (err) {
    // The record is in the log; the seal catches up with the next write.
    noteFailure(w, err);
    return true;
  }
  recovered(w);
  return true;
}

/** The live file becomes audit.log.N; the chain goes on in a fresh file; old ones go. */
function rotate(w: Writer): void {
  const seal = w.seal!;
  const live = seal.files.at(-1)!;
  const name = nextRotatedName(w.file, seal);
  renameSync(w.file, inDir(w.file, name));
  live.name = name;
  seal.files.push({ name: basename(w.file), records: 0, last: live.last });
  w.size = 0;
  while (seal.files.length - 1 > w.settings.keepFiles) {
    const oldest = seal.files.shift()!;
    rmSync(inDir(w.file, oldest.name), { force: true });
    seal.base = oldest.last;
    seal.pruned += oldest.records;
  }
  writeSeal(w.file, seal);
}

function lose(w: Writer, err?: unknown): false {
  if (err) noteFailure(w, err);
  if (!health.lost) health.lostSince = Date.now();
  health.lost++;
  return false;
}

function noteFailure(w: Writer, err: unknown): void {
  health.failedWrites++;
  health.error = (err as NodeJS.ErrnoException)?.code ?? "EIO";
  if (!health.failingSince) health.failingSince = Date.now();
  // Loud, but not a line per request: the first failure, then one a minute.
  if (Date.now() - health.loggedAt >= 60_000) {
    health.loggedAt = Date.now();
    const then = w.settings.failureAction === "refuse" ? "requests that change things get 503" : "requests go on unrecorded";
    logAuditProblem(`cannot write the audit log ${w.file}: ${(err as Error)?.message ?? err} (${health.failedWrites} failed write(s); ${then})`);
  }
}

function recovered(w: Writer): void {
  if (!health.failingSince) return;
  logAuditProblem(`the audit log ${w.file} is writable again after ${health.failedWrites} failed write(s)`, "warn");
  health.failingSince = 0;
  health.loggedAt = 0;
}

/** A line in the daemon's log, outside any job: the path is for the operator, never a client. */
function logAuditProblem(human: string, level: "warn" | "error" = "error"): void {
  writeLogLine({ kind: "narration", ts: Date.now(), level, actor: "audit", action: "audit_log", human });
}

/** Strings longer than MAX_FIELD_CHARS are cut, saying how long they were. */
function capFields(fields: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(fields, (_key, value) =>
      typeof value === "string" && value.length > MAX_FIELD_CHARS ? `${value.slice(0, MAX_FIELD_CHARS)}…(${value.length} chars)` : value,
    ),
  );
}
