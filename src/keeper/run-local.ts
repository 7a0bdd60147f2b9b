import { randomUUID } from "node:crypto";
import { runWithNarration } from "../narration/context.ts";
import { RbeeError } from "../protocol/errors.ts";
import { createEventPrinter, type PrinterOptions } from "./event-printer.ts";
import { printError } from "./error-output.ts";
import { EXIT } from "./follow-job.ts";

/**
 * Runs a flow in the keeper itself, as a local job: its narration goes to the terminal
 * through the same printer a queen job's stream would, with Ctrl-C aborting the flow.
 * (The same functions run on the queen as jobs; the context is what differs.)
 */
export async function runLocally<T>(fn: (signal: AbortSignal) => Promise<T>, printer: PrinterOptions): Promise<{ code: number; result?: T }> {
  const out = createEventPrinter(printer);
  const controller = new AbortController();
  const onSigint = () => controller.abort(new RbeeError("CANCELLED", "cancelled by Ctrl-C"));
  process.on("SIGINT", onSigint);
  const id = `local-${randomUUID().slice(0, 8)}`;
  try {
    const result = await runWithNarration({ jobId: id, correlationId: id, emit: (e) => out.event(e) }, () => fn(controller.signal));
    out.end();
    if (printer.json) printer.stdout.write(`${JSON.stringify({ kind: "result", result })}\n`);
    return { code: EXIT.completed, result };
  } catch (err) {
    out.end();
    const error = RbeeError.from(err);
    if (controller.signal.aborted) {
      printer.stderr.write("cancelled\n");
      return { code: EXIT.cancelled };
    }
    printError(printer, error);
    return { code: EXIT.failed };
  } finally {
    process.off("SIGINT", onSigint);
  }
}
