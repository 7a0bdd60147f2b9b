import { RbeeError } from "../protocol/errors.ts";

/** The header that carries an absolute deadline (epoch milliseconds) from hop to hop. */
export const DEADLINE_HEADER = "x-deadline";

/** Reads X-Deadline: absent → undefined; malformed → 400; already past → 504. */
export function readDeadline(header: string | null | undefined, now = Date.now()): number | undefined {
  if (header === null || header === undefined || header === "") return undefined;
  const deadline = Number(header);
  if (!Number.isFinite(deadline) || deadline <= 0) {
    throw new RbeeError("INVALID_DEADLINE", `X-Deadline must be an absolute time in epoch milliseconds, not ${JSON.stringify(header.slice(0, 40))}`, "e.g. X-Deadline: <Date.now() + 30000>");
  }
  if (deadline <= now) throw deadlineExceeded(deadline);
  if (deadline - now > MAX_DEADLINE_AHEAD_MS) {
    throw new RbeeError("INVALID_DEADLINE", `X-Deadline is more than ${MAX_DEADLINE_AHEAD_MS / 86_400_000} days ahead`, "Give an absolute time in epoch milliseconds within a week, or no deadline at all.");
  }
  return deadline;
}

/** The furthest a deadline may lie ahead: a week (timers cannot wait past 2^31−1 ms anyway). */
export const MAX_DEADLINE_AHEAD_MS = 7 * 86_400_000;

/** The longest delay a timer takes: longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Aborts `controller` when `deadline` passes; returns the timer to clear. */
export function armDeadline(deadline: number, controller: AbortController): ReturnType<typeof setTimeout> {
  const delay = Math.min(Math.max(0, deadline - Date.now()), MAX_TIMER_MS);
  return setTimeout(() => controller.abort(deadlineExceeded(deadline)), delay);
}

export const deadlineExceeded = (deadline: number) =>
  new RbeeError("DEADLINE_EXCEEDED", `the deadline (${new Date(deadline).toISOString()}) has passed`, "Give the request more time.", 504);

/** Whether an abort reason is a passed deadline. */
export const isDeadline = (reason: unknown): reason is RbeeError => reason instanceof RbeeError && reason.code === "DEADLINE_EXCEEDED";

/** Headers that pass a deadline downstream. */
export const deadlineHeaders = (deadline?: number): Record<string, string> => (deadline ? { [DEADLINE_HEADER]: String(deadline) } : {});
