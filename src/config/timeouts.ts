import { RbeeError } from "../protocol/errors.ts";
import { readConfig, type RbeeConfig } from "./config-file.ts";

/**
 * How long rbee waits for things that can hang. Each comes from a command-line flag, else an
 * environment variable, else config.json, else its default; written "30s", "500ms", "2m" or
 * a plain number of seconds.
 */
export interface StallTimeouts {
  /** A worker that sends no byte for this long while it serves a request is hung. */
  workerStallMs: number;
  /** A download that receives no byte for this long is retried (resuming). */
  downloadStallMs: number;
}

export const DEFAULT_TIMEOUTS: StallTimeouts & { bodyMs: number } = { workerStallMs: 30_000, downloadStallMs: 30_000, bodyMs: 10_000 };

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
/** Below this a healthy worker's keep-alive (one a second before its first token) would look hung. */
const MIN_STALL_MS = 2_000;
const MAX_MS = 24 * 3600_000;

/** "30s" → 30000; a bare number is seconds. Refuses anything else, naming the setting. */
export function parseDuration(value: string | number, setting: string, minMs = 1): number {
  const m = String(value).trim().match(/^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/);
  const ms = m ? Math.round(Number(m[1]) * UNITS[m[2] ?? "s"]) : NaN;
  if (!Number.isFinite(ms) || ms < minMs || ms > MAX_MS) {
    throw new RbeeError("INVALID_DURATION", `${setting} must be a duration from ${minMs / 1000} s to 24 h`, 'write it like "30s", "500ms", "2m" or a number of seconds');
  }
  return ms;
}

/** A keep-alive that never runs out. */
export const KEEP_FOREVER = -1;

/**
 * A keep-alive as Ollama takes it: a duration ("5m", "30s", a number of seconds), 0 (unload
 * right after the request) or a negative one (-1: never unload). Returns ms, or KEEP_FOREVER.
 */
export function parseKeepAlive(value: string | number, setting = "keep_alive"): number {
  const text = String(value).trim();
  if (/^-\d+(?:\.\d+)?\s*(ms|s|m|h)?$/.test(text)) return KEEP_FOREVER;
  if (/^0+(?:\.0+)?\s*(ms|s|m|h)?$/.test(text)) return 0;
  // Ollama users write hours ("1h"); stall timeouts never need them.
  const hours = text.match(/^(\d+(?:\.\d+)?)\s*h$/);
  try {
    return parseDuration(hours ? `${Number(hours[1]) * 60}m` : text, setting);
  } catch {
    throw new RbeeError("INVALID_KEEP_ALIVE", `${setting} must be a duration up to 24 h, 0 (unload after the request) or -1 (never unload)`, 'write it like "5m", "30s", 0 or -1');
  }
}

/** A keep-alive for people: "3s", "5m", "never", "0s". */
export function formatKeepAlive(ms: number): string {
  if (ms < 0) return "never";
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function pick(flag: string | undefined, envValue: string | undefined, configValue: string | number | undefined, setting: string, fallback: number, minMs: number): number {
  const value = flag ?? (envValue || undefined) ?? configValue;
  return value === undefined ? fallback : parseDuration(value, setting, minMs);
}

function config(): RbeeConfig {
  try {
    return readConfig();
  } catch {
    return {};
  }
}

/** The stall timeouts in force: flags (when given) over RBEE_WORKER_STALL_TIMEOUT / RBEE_DOWNLOAD_STALL_TIMEOUT over config.json. */
export function stallTimeouts(flags: { worker?: string; download?: string } = {}, env: NodeJS.ProcessEnv = process.env): StallTimeouts {
  const file = config();
  return {
    workerStallMs: pick(flags.worker, env.RBEE_WORKER_STALL_TIMEOUT, file.worker_stall_timeout, "the worker stall timeout", DEFAULT_TIMEOUTS.workerStallMs, MIN_STALL_MS),
    downloadStallMs: pick(flags.download, env.RBEE_DOWNLOAD_STALL_TIMEOUT, file.download_stall_timeout, "the download stall timeout", DEFAULT_TIMEOUTS.downloadStallMs, 100),
  };
}

let bodyMs: number | undefined;

/** How long a request body may take to arrive (RBEE_BODY_TIMEOUT, else config.json's body_timeout; read once). */
export function bodyTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  return (bodyMs ??= pick(undefined, env.RBEE_BODY_TIMEOUT, config().body_timeout, "the body timeout", DEFAULT_TIMEOUTS.bodyMs, 100));
}
