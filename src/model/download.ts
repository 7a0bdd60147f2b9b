import { mkdir, open, rename, stat, truncate, unlink } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import { abortError, displayUrl, gaveUp, interruptedError, isRetryable, stalledError, statusError, unreachableError } from "./download-errors.ts";
import { remoteUrlProblem } from "./model-source.ts";
import { forEachChunk } from "./file-chunks.ts";
import { stallWatchdog, type StallWatchdog } from "../narration/with-timeout.ts";
import { ProgressNarrator } from "./progress.ts";

export interface DownloadOptions {
  signal?: AbortSignal;
  expectedSize?: number;
  /** Hex digest the finished file must have. */
  sha256?: string;
  fetchImpl?: typeof fetch;
  headers?: Record<string, string>;
  /** Name in narration; the destination's file name by default. */
  label?: string;
  /** What the progress narration says is happening ("downloading" by default; "copying" between hives). */
  verb?: string;
  /** Looks at the file's first bytes (up to 16) before the rest is fetched, so a wrong file fails fast. */
  checkHead?: (head: Uint8Array) => void;
  /** Extra attempts after a dropped connection or a 5xx, each resuming (default 2). */
  retries?: number;
  retryDelayMs?: number;
  /** An attempt that receives no byte for this long is dropped and retried, resuming (default 30 s). */
  stallMs?: number;
  /** The error for an HTTP status the source knows better how to explain (a gated repo's 401). */
  refused?: (status: number) => RbeeError | undefined;
}

export interface DownloadResult {
  size_bytes: number;
  sha256: string;
  /** Bytes already on disk from an earlier attempt when this one started. */
  resumed_from: number;
}

const HEAD_BYTES = 16;
const DEFAULT_STALL_MS = 30_000;
const MAX_REDIRECTS = 10;



/**
 * Streams `url` to `dest + ".part"`, resuming with an HTTP Range when a part file exists,
 * then checks size and digest and renames into place. `dest` only ever holds a complete,
 * verified file; a cancelled or failed transfer leaves the part file to resume from.
 */
export async function downloadFile(url: string, dest: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
  const retries = opts.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const stallMs = opts.stallMs ?? DEFAULT_STALL_MS;
    // The caller's cancel still wins: its reason is what an aborted attempt reports.
    const watchdog = stallWatchdog(stallMs, () => stalledError(url, stallMs), opts.signal);
    try {
      return await attemptDownload(url, dest, { ...opts, signal: watchdog.signal }, watchdog);
    } catch (err) {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      if (!isRetryable(err)) throw err;
      if (attempt >= retries) throw gaveUp(err as RbeeError, attempt + 1);
      const delay = (opts.retryDelayMs ?? 1000) * 2 ** attempt;
      narrate("download_retry", `${(err as Error).message}; trying again in ${(delay / 1000).toFixed(1)} s`, { level: "warn", attempt: attempt + 1, retries });
      await sleep(delay, opts.signal);
    } finally {
      watchdog.stop();
    }
  }
}

async function attemptDownload(url: string, dest: string, opts: DownloadOptions, watchdog: StallWatchdog): Promise<DownloadResult> {
  const part = `${dest}.part`;
  const label = opts.label ?? basename(dest);
  let offset = await fileSize(part);
  if (opts.expectedSize !== undefined && offset > opts.expectedSize) offset = await restartPart(part);

  const res = await request(url, offset, opts);
  let start = offset;
  let total: number | undefined;
  if (res.status === 416 && offset > 0) {
    // Asked for bytes past the end: either the part is already complete or it is stale.
    const complete = parseContentRange(res.headers.get("content-range"))?.total === offset;
    await res.body?.cancel();
    watchdog.stop();
    if (complete) return finish(part, dest, label, offset, offset, await hashFile(part, offset), opts);
    await restartPart(part);
    return attemptDownload(url, dest, opts, watchdog);
  }
  if (!res.ok) {
    await res.body?.cancel();
    // The source no longer has the file: a part of it can never be completed.
    if (res.status === 404 || res.status === 410) await unlink(part).catch(() => {});
    throw opts.refused?.(res.status) ?? statusError(res.status, url);
  }
  if (res.status === 206) {
    const range = parseContentRange(res.headers.get("content-range"));
    if (!range || range.start !== offset) {
      await res.body?.cancel();
      if (offset === 0) throw new RbeeError("DOWNLOAD_FAILED", `${displayUrl(url)} answered a partial response nobody asked for`, "try again later, or use another source", 502);
      await restartPart(part);
      return attemptDownload(url, dest, opts, watchdog);
    }
    total = range.total;
  } else {
    if (offset > 0) narrate("download_restart", `${displayUrl(url)} does not resume downloads; starting ${label} over`, { level: "warn" });
    start = 0;
    total = contentLength(res);
  }
  if (opts.expectedSize !== undefined && total !== undefined && total !== opts.expectedSize) {
    await res.body?.cancel();
    throw new RbeeError("DOWNLOAD_FAILED", `${displayUrl(url)} is ${total} bytes, expected ${opts.expectedSize}`, "the file changed at the source; check the source", 502);
  }
  total ??= opts.expectedSize;

  // Hashing what is already on disk is our own work, not the server's silence.
  watchdog.stop();
  const hasher = start > 0 ? await hashFile(part, start) : new Bun.CryptoHasher("sha256");
  watchdog.alive();
  const progress = new ProgressNarrator(label, start, total);
  progress.start(opts.verb);
  const written = await writeBody(res, part, start, total, hasher, progress, url, opts, watchdog);
  return finish(part, dest, label, start, written, hasher, opts, progress);
}

/**
 * GET with redirects followed by hand, so that every hop obeys the rule the source itself
 * obeyed (https, or http to this machine only) and no header with a secret reaches another host.
 */
async function request(url: string, offset: number, opts: DownloadOptions): Promise<Response> {
  // Byte ranges must count bytes of the file itself, never of a compressed body.
  const headers: Record<string, string> = { "Accept-Encoding": "identity", ...opts.headers };
  if (offset > 0) headers.Range = `bytes=${offset}-`;
  const origin = new URL(url).origin;
  let current = url;
  for (let hop = 0; ; hop++) {
    let res: Response;
    try {
      const sameOrigin = new URL(current).origin === origin;
      res = await (opts.fetchImpl ?? fetch)(current, { headers: sameOrigin ? headers : withoutSecrets(headers), signal: opts.signal, redirect: "manual" });
    } catch (err) {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      throw unreachableError(current, err);
    }
    const location = res.headers.get("location");
    if (res.status < 300 || res.status > 399 || res.status === 304 || !location) return res;
    await res.body?.cancel();
    if (hop >= MAX_REDIRECTS) throw new RbeeError("DOWNLOAD_FAILED", `${displayUrl(url)} redirected more than ${MAX_REDIRECTS} times`, "check the source; it may be misconfigured", 502);
    const next = new URL(location, current);
    const problem = remoteUrlProblem(next);
    if (problem) throw new RbeeError("UNSAFE_REDIRECT", `${displayUrl(current)} redirected to ${next.protocol}//${next.host}, which is refused: ${problem}`, "use a source that stays on https", 502);
    current = next.href;
  }
}

/** Headers fit to send to another host than the source's: no credentials, no cookies. */
function withoutSecrets(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !/^(authorization|cookie|proxy-authorization)$/i.test(k)));
}

async function writeBody(
  res: Response,
  part: string,
  start: number,
  total: number | undefined,
  hasher: Bun.CryptoHasher,
  progress: ProgressNarrator,
  url: string,
  opts: DownloadOptions,
  watchdog: StallWatchdog,
): Promise<number> {
  const file = await open(part, start > 0 ? "r+" : "w", 0o600);
  await file.chmod(0o600);
  let position = start;
  let head: Uint8Array | undefined = start === 0 && opts.checkHead ? new Uint8Array(0) : undefined;
  try {
    for await (const chunk of res.body ?? []) {
      watchdog.alive();
      if (head) {
        head = concat(head, chunk.subarray(0, HEAD_BYTES - head.length));
        if (head.length >= HEAD_BYTES) head = checkHead(opts, head);
      }
      await file.write(chunk, 0, chunk.length, position);
      position += chunk.length;
      hasher.update(chunk);
      if (total !== undefined && position > total) throw new RbeeError("DOWNLOAD_FAILED", `${displayUrl(url)} sent more than the ${total} bytes it announced`, "try again; if it repeats, the server is misbehaving", 502);
      progress.tick(position);
    }
    if (head) checkHead(opts, head);
    await file.sync();
  } catch (err) {
    await file.close();
    if (opts.signal?.aborted) throw abortError(opts.signal);
    if (err instanceof RbeeError || err instanceof WrongContent) {
      // A wrong file (bad head, oversize) is not worth keeping to resume.
      await unlink(part).catch(() => {});
      throw err instanceof WrongContent ? err.cause : err;
    }
    throw interruptedError(url, position, total, err);
  }
  await file.close();
  if (total !== undefined && position < total) throw interruptedError(url, position, total);
  return position;
}

async function finish(
  part: string,
  dest: string,
  label: string,
  start: number,
  size: number,
  hasher: Bun.CryptoHasher,
  opts: DownloadOptions,
  progress?: ProgressNarrator,
): Promise<DownloadResult> {
  if (opts.expectedSize !== undefined && size !== opts.expectedSize) {
    await unlink(part).catch(() => {});
    throw new RbeeError("DOWNLOAD_FAILED", `${label} is ${size} bytes, expected ${opts.expectedSize}`, "run the command again to download it afresh", 502);
  }
  const sha256 = hasher.digest("hex");
  if (opts.sha256 && sha256 !== opts.sha256.toLowerCase()) {
    await unlink(part).catch(() => {});
    throw new RbeeError("CHECKSUM_MISMATCH", `${label} has sha256 ${sha256}, expected ${opts.sha256}`, "run the command again to download it afresh; if it repeats, the source changed", 502);
  }
  await rename(part, dest);
  if (progress) progress.done(size);
  else narrate("download_done", `${label}: already complete (${size} bytes)`, { file: label, size_bytes: size });
  return { size_bytes: size, sha256, resumed_from: start };
}

/** The digest of a file's first `length` bytes, as a hasher that can go on with the rest. */
async function hashFile(path: string, length: number): Promise<Bun.CryptoHasher> {
  const hasher = new Bun.CryptoHasher("sha256");
  if (length === 0) return hasher;
  await forEachChunk(path, (bytes) => void hasher.update(bytes), { length });
  return hasher;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function restartPart(part: string): Promise<0> {
  await truncate(part, 0).catch(() => {});
  return 0;
}

export function parseContentRange(value: string | null): { start: number; end?: number; total?: number } | undefined {
  const m = value?.match(/^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i);
  if (!m) return undefined;
  const total = m[3] === "*" ? undefined : Number(m[3]);
  if (m[1] === undefined) return { start: -1, total };
  return { start: Number(m[1]), end: Number(m[2]), total };
}

function contentLength(res: Response): number | undefined {
  const value = res.headers.get("content-length");
  // A compressed body's length is not the file's length.
  if (value === null || res.headers.get("content-encoding")) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Carries a head check's verdict past the network-error handling untouched. */
class WrongContent extends Error {
  constructor(override readonly cause: unknown) {
    super("wrong content");
  }
}

function checkHead(opts: DownloadOptions, head: Uint8Array): undefined {
  try {
    opts.checkHead!(head);
  } catch (err) {
    throw new WrongContent(err);
  }
  return undefined;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
