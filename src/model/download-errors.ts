import { RbeeError } from "../protocol/errors.ts";

/** Errors worth another attempt: a dropped connection, a busy or failing server. */
const retryable = new WeakSet<RbeeError>();

export function isRetryable(err: unknown): boolean {
  return err instanceof RbeeError && retryable.has(err);
}

function markRetryable(err: RbeeError): RbeeError {
  retryable.add(err);
  return err;
}

/** A URL as shown to people: signed query strings stay out of messages and logs. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url.split("?")[0];
  }
}

export function statusError(status: number, url: string): RbeeError {
  const where = displayUrl(url);
  if (status === 404 || status === 410) {
    return new RbeeError("MODEL_NOT_FOUND", `nothing at ${where} (HTTP ${status})`, "check the repo and file name; `hf:ORG/REPO` without a file picks one of the repo's GGUF files", 404);
  }
  if (status === 401 || status === 403) {
    return new RbeeError(
      "MODEL_FORBIDDEN",
      `${where} refused the download (HTTP ${status})`,
      "the repo may be private or gated (accept its license on huggingface.co and set HF_TOKEN), or may not exist",
      403,
    );
  }
  const err = new RbeeError("DOWNLOAD_FAILED", `${where} answered HTTP ${status}`, "try again later; a partial download resumes where it stopped", 502);
  return status === 429 || status >= 500 ? markRetryable(err) : err;
}

export function interruptedError(url: string, got: number, total: number | undefined, cause?: unknown): RbeeError {
  const of = total === undefined ? "" : ` of ${total}`;
  const why = cause instanceof Error ? `: ${cause.message}` : "";
  return markRetryable(
    new RbeeError("DOWNLOAD_FAILED", `the download from ${displayUrl(url)} stopped after ${got}${of} bytes${why}`, "run the same command again: it resumes where it stopped", 502),
  );
}

export function unreachableError(url: string, cause: unknown): RbeeError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return markRetryable(new RbeeError("DOWNLOAD_FAILED", `could not reach ${displayUrl(url)}: ${why}`, "check the network and the address, then try again", 502));
}

/** An attempt that received nothing for `ms`: worth another attempt, which resumes. */
export function stalledError(url: string, ms: number): RbeeError {
  return markRetryable(
    new RbeeError("DOWNLOAD_STALLED", `${displayUrl(url)} sent nothing for ${ms / 1000} s`, "the server stalled; run the same command again later: it resumes where it stopped", 504),
  );
}

/** The last attempt's error, saying that it was the last. */
export function gaveUp(err: RbeeError, attempts: number): RbeeError {
  return new RbeeError(err.code, `${err.message} (gave up after ${attempts} attempts)`, err.hint, err.status);
}

/** What an aborted transfer throws: the abort's own reason when it is one of ours (timeout, cancel). */
export function abortError(signal: AbortSignal | undefined): RbeeError {
  if (signal?.reason instanceof RbeeError) return signal.reason;
  return new RbeeError("CANCELLED", "the download was cancelled", "run the same command again: it resumes where it stopped", 499);
}
