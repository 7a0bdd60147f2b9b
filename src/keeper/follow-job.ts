import type { Operation } from "../protocol/operations.ts";
import type { DaemonClient, JobOutcome } from "./daemon-client.ts";
import { createEventPrinter, type PrinterOptions } from "./event-printer.ts";

/** Exit codes: the job completed, failed, or was cancelled (as a shell reports SIGINT). */
export const EXIT = { completed: 0, failed: 1, cancelled: 130 } as const;

/**
 * Submits an operation and follows its stream to the end, as every keeper command does.
 * Ctrl-C cancels the job on the daemon (not just the local process) and waits for the
 * [CANCELLED] marker, so nothing keeps running behind the user's back.
 */
export async function submitAndFollow(client: DaemonClient, op: Operation, printer: PrinterOptions): Promise<number> {
  const { job_id } = await client.submit(op);
  return followJob(client, job_id, printer);
}

export async function followJob(client: DaemonClient, jobId: string, printer: PrinterOptions): Promise<number> {
  const out = createEventPrinter(printer);
  const onSigint = () => {
    printer.stderr.write(`\ncancelling ${jobId} …\n`);
    void client.cancel(jobId).catch(() => {});
  };
  process.on("SIGINT", onSigint);
  let outcome: JobOutcome;
  try {
    outcome = await client.stream(jobId, { onEvent: (e) => out.event(e) });
  } finally {
    process.off("SIGINT", onSigint);
    out.end();
  }
  if (printer.json) printer.stdout.write(`${JSON.stringify({ kind: "end", job_id: jobId, ...outcome })}\n`);
  else if (outcome.state === "failed") printer.stderr.write(`✗ ${outcome.error}\n`);
  else if (outcome.state === "cancelled") printer.stderr.write("cancelled\n");
  return EXIT[outcome.state];
}
