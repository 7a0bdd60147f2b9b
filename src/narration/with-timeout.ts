import { RbeeError } from "../protocol/errors.ts";
import { narrate } from "./narrate.ts";

/**
 * Runs one step under a time limit. The step gets an AbortSignal that fires on timeout or
 * when the outer signal aborts; the start and the timeout are narrated on the same path as
 * everything else, so a job's stream shows which step ran out of time.
 */
export async function withTimeout<T>(
  label: string,
  ms: number,
  fn: (signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): Promise<T> {
  const seconds = formatSeconds(ms);
  narrate("timeout_start", `${label} (limit ${seconds} s)`, { level: "debug", label, timeout_ms: ms });
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  outer?.addEventListener("abort", onOuterAbort, { once: true });

  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new RbeeError("TIMEOUT", `${label} timed out after ${seconds} s`, undefined, 504);
      narrate("timeout", error.message, { level: "error", label, timeout_ms: ms });
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([fn(controller.signal), timedOut]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", onOuterAbort);
  }
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? String(s) : s.toFixed(1);
}

/**
 * A limit on silence rather than on total time: `signal` aborts with `reason()` once `alive()`
 * has not been called for `ms` (call it on every byte received). With `outer`, the signal also
 * aborts with the outer reason, so a cancel still reads as a cancel. `alive()` only notes the
 * time: it runs once per streamed token, and one timer that re-arms for what is left of the
 * window costs far less than a timer cleared and set per byte.
 */
export function stallWatchdog(ms: number, reason: () => Error, outer?: AbortSignal) {
  const controller = new AbortController();
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = () => {
    const silentFor = performance.now() - last;
    if (silentFor >= ms) controller.abort(reason());
    else timer = setTimeout(check, ms - silentFor);
  };
  const alive = () => {
    last = performance.now();
    timer ??= setTimeout(check, ms);
  };
  alive();
  return {
    signal: outer ? AbortSignal.any([outer, controller.signal]) : controller.signal,
    /** True when the silence, not the outer signal, ended it. */
    stalled: () => controller.signal.aborted,
    alive,
    /** Pauses it (our own work is not the peer's silence) until the next `alive()`. */
    stop: () => {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
export type StallWatchdog = ReturnType<typeof stallWatchdog>;
