import { activeAuditSettings, audit } from "./audit-log.ts";

/**
 * Failed authentications, aggregated: the first from a source with a given code is
 * recorded at once; the ones after it in the same window become one
 * `auth_failure_repeated` record with their count. Anyone can send bad tokens; this keeps
 * them from growing the log by more than two records per source and code per window.
 */
interface Pending {
  source: string;
  code: string;
  role: string;
  count: number;
  first: number;
  last: number;
}

/** Past this many sources in one window, the rest share one bucket per code. */
const MAX_SOURCES = 256;

const pending = new Map<string, Pending>();
let timer: ReturnType<typeof setTimeout> | undefined;

export interface AuthFailure {
  source: string;
  code: string;
  role: string;
  method: string;
  path: string;
  actor_token?: string;
}

export function auditAuthFailure(failure: AuthFailure): void {
  const settings = activeAuditSettings();
  if (!settings) return;
  let key = `${failure.source} ${failure.code}`;
  if (!pending.has(key) && pending.size >= MAX_SOURCES) key = `* ${failure.code}`;
  const seen = pending.get(key);
  const now = Date.now();
  if (seen) {
    seen.count++;
    seen.last = now;
    return;
  }
  pending.set(key, { source: key.startsWith("* ") ? "*" : failure.source, code: failure.code, role: failure.role, count: 0, first: now, last: now });
  audit("auth_failure", { ...failure });
  if (!timer) {
    timer = setTimeout(flushAuthFailures, settings.authFailureWindowMs);
    timer.unref?.();
  }
}

/** Writes the counts gathered so far (at the end of each window, and at shutdown). */
export function flushAuthFailures(): void {
  clearTimeout(timer);
  timer = undefined;
  const window_s = (activeAuditSettings()?.authFailureWindowMs ?? 0) / 1000;
  const entries = [...pending.values()];
  pending.clear();
  for (const e of entries) {
    if (!e.count) continue;
    audit("auth_failure_repeated", { source: e.source, code: e.code, role: e.role, count: e.count, first_ts: new Date(e.first).toISOString(), last_ts: new Date(e.last).toISOString(), window_s });
  }
}
