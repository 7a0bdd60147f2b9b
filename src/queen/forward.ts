import { DaemonClient } from "../keeper/daemon-client.ts";
import { tryGetNarration } from "../narration/context.ts";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import { hiveToken } from "../security/api-token.ts";
import { deadlineHeaders } from "../jobs/deadline.ts";
import type { Operation } from "../protocol/operations.ts";

/** How long a hive may take to accept a job before it counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Runs an operation on a remote hive: posts it to the hive's job API and relays the hive's
 * events into the current (queen) job's stream, each narration marked with its origin.
 * Cancelling the queen job cancels the hive job. The hive's result becomes ours.
 * Submit and stream are one request, so the hop costs one round trip.
 */
export async function forwardToHive(hiveId: string, baseUrl: string, op: Operation, signal: AbortSignal, deadline?: number): Promise<unknown> {
  // The hive's own token, or none: never the queen's (a default here would be its master token).
  const client = new DaemonClient(baseUrl, hiveToken(hiveId) ?? "");
  const connect = new AbortController();
  const connectTimer = setTimeout(() => connect.abort(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
  let hiveJobId: string | undefined;
  const onAbort = () => hiveJobId && void client.cancel(hiveJobId).catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });
  const emit = tryGetNarration()?.emit;
  let result: unknown;
  // The hive's own failure line carries its error code and hint; the [ERROR] marker only the message.
  let failure: { code?: string; hint?: string } = {};
  try {
    const outcome = await client.submitAndStream(op, {
      signal: AbortSignal.any([signal, connect.signal]),
      headers: deadlineHeaders(deadline),
      onJobId: (id) => {
        clearTimeout(connectTimer);
        hiveJobId = id;
        narrate("forwarded", `forwarded ${op.operation} to hive ${hiveId} (job ${id})`, { level: "debug", hive_job_id: id });
      },
      onEvent: (event) => {
        if (event.kind === "result") result = event.result;
        else if (event.kind === "narration") {
          if (event.action === "job_failed") failure = { code: event.fields?.code as string | undefined, hint: event.fields?.hint as string | undefined };
          emit?.({ ...event, origin: event.origin ?? hiveId, job_id: tryGetNarration()?.jobId });
        } else emit?.(event);
      },
    });
    if (outcome.state === "failed") throw new RbeeError(failure.code ?? "HIVE_JOB_FAILED", outcome.error, failure.hint, 502);
    if (outcome.state === "cancelled") throw new RbeeError("CANCELLED", `the job on hive ${hiveId} was cancelled`);
    return result;
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    if (err instanceof RbeeError && !(hiveJobId === undefined && err.code === "UNREACHABLE")) throw err;
    if (hiveJobId === undefined) {
      const why = connect.signal.aborted ? (connect.signal.reason as Error).message : RbeeError.from(err).message;
      throw new RbeeError("HIVE_UNREACHABLE", `hive ${hiveId} at ${baseUrl} does not answer: ${why}`, `Check it with \`rbee hive status --host ${hiveId}\`.`, 502);
    }
    throw new RbeeError("HIVE_LOST", `lost hive ${hiveId} mid-job: ${(err as Error).message}`, `Check it with \`rbee hive list\`.`, 502);
  } finally {
    clearTimeout(connectTimer);
    signal.removeEventListener("abort", onAbort);
  }
}
