import { RbeeError } from "../protocol/errors.ts";
import type { Operation } from "../protocol/operations.ts";
import type { DaemonClient, JobOutcome } from "./daemon-client.ts";
import { formatError } from "./error-output.ts";
import { createEventPrinter, type PrinterOptions } from "./event-printer.ts";

/**
 * Exit codes: the job completed, failed, or was cancelled. A cancel by a signal exits as a
 * shell reports that signal: 130 for SIGINT (Ctrl-C), 143 for SIGTERM, 129 for SIGHUP.
 */
export const EXIT = { completed: 0, failed: 1, cancelled: 130 } as const;
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignal = keyof typeof SIGNAL_EXIT;

/** How long a stopped keeper waits for the daemon to confirm the cancel before it exits anyway. */
const CANCEL_CONFIRM_MS = 5_000;

/** How a followed job ended: its exit code, and the error when it failed (or was lost). */
export interface FollowedJob {
  code: number;
  outcome?: JobOutcome;
  error?: RbeeError;
}

/**
 * Submits an operation and follows its stream to the end, as every keeper command does.
 * Ctrl-C, SIGTERM and SIGHUP cancel the job on the daemon (not just the local process) and
 * wait for the [CANCELLED] marker, so nothing keeps running behind the user's back.
 */
export async function submitAndFollow(client: DaemonClient, op: Operation, printer: PrinterOptions): Promise<number> {
  const { job_id } = await client.submit(op);
  return followJob(client, job_id, printer);
}

/** Follows a job and prints how it ended: `✗ CODE: message` and its hint, or the JSON end line. */
export async function followJob(client: DaemonClient, jobId: string, printer: PrinterOptions): Promise<number> {
  const followed = await streamJob(client, jobId, printer);
  const { outcome, error } = followed;
  if (printer.json) printer.stdout.write(`${JSON.stringify({ kind: "end", job_id: jobId, state: outcome?.state ?? "unknown", ...(error ? error.toBody() : {}) })}\n`);
  else if (error) printer.stderr.write(formatError(error));
  else if (outcome?.state === "cancelled") printer.stderr.write("cancelled\n");
  return followed.code;
}

/** Follows a job's stream, printing its events; says how it ended without printing that. */
export async function streamJob(client: DaemonClient, jobId: string, printer: PrinterOptions): Promise<FollowedJob> {
  const out = createEventPrinter(printer);
  const giveUp = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const onSignal = (signal: StopSignal) => {
    if (stoppedBy) return;
    stoppedBy = signal;
    printer.stderr.write(`\ncancelling ${jobId} …\n`);
    void client.cancel(jobId).catch(() => {});
    setTimeout(() => giveUp.abort(), CANCEL_CONFIRM_MS).unref();
  };
  const handlers = (Object.keys(SIGNAL_EXIT) as StopSignal[]).map((s) => [s, () => onSignal(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  try {
    const outcome = await client.stream(jobId, { onEvent: (e) => out.event(e), signal: giveUp.signal });
    out.end();
    if (outcome.state === "failed") {
      const { code, hint } = out.failure();
      return { code: EXIT.failed, outcome, error: new RbeeError(code ?? "JOB_FAILED", outcome.error, hint) };
    }
    if (outcome.state === "cancelled") return { code: stoppedBy ? SIGNAL_EXIT[stoppedBy] : EXIT.cancelled, outcome };
    return { code: EXIT.completed, outcome };
  } catch (err) {
    out.end();
    if (stoppedBy) {
      const error = new RbeeError("CANCEL_UNCONFIRMED", `${client.baseUrl} did not confirm the cancel of ${jobId} within ${CANCEL_CONFIRM_MS / 1000} s`, `Check it with \`rbee jobs get ${jobId}\`.`);
      return { code: SIGNAL_EXIT[stoppedBy], error };
    }
    return { code: EXIT.failed, error: lostDaemon(client, jobId, err) };
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
  }
}

/** The stream broke off (the daemon died or the network went): the job's fate is unknown. */
function lostDaemon(client: DaemonClient, jobId: string, err: unknown): RbeeError {
  if (err instanceof RbeeError && err.code !== "STREAM_CUT") return err;
  return new RbeeError(
    "QUEEN_LOST",
    `the queen at ${client.baseUrl} went away while following ${jobId}; the job's state is unknown`,
    `Once the queen answers again (\`rbee queen status\`), check the job with \`rbee jobs get ${jobId}\`.`,
    502,
  );
}
