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
  return deadline;
}

export const deadlineExceeded = (deadline: number) =>
  new RbeeError("DEADLINE_EXCEEDED", `the deadline (${new Date(deadline).toISOString()}) has passed`, "Give the request more time.", 504);

/** Headers that pass a deadline downstream. */
export const deadlineHeaders = (deadline?: number): Record<string, string> => (deadline ? { [DEADLINE_HEADER]: String(deadline) } : {});
