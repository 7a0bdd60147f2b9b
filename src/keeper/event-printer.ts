import type { JobEvent, NarrationEvent } from "../protocol/events.ts";
import { renderProgressLine } from "./progress-bar.ts";

export interface PrinterOptions {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  json: boolean;
  /** How a result is shown to a person; JSON when not given. */
  formatResult?: (result: unknown) => string;
}

/**
 * Shows a job's events to a person: narration on stderr (a progress bar drawn in place
 * when stderr is a TTY), tokens and results on stdout. With `json`, every event is one
 * NDJSON line on stdout instead.
 */
export function createEventPrinter(opts: PrinterOptions) {
  let barShown = false;
  // The job's own failure line: its code and hint are shown once, with the final error.
  let failure: { code?: string; hint?: string } = {};
  let tokensOpen = false;
  const clearBar = () => {
    if (barShown) opts.stderr.write("\r\x1b[2K");
    barShown = false;
  };
  const endTokens = () => {
    if (tokensOpen) opts.stdout.write("\n");
    tokensOpen = false;
  };

  return {
    event(event: JobEvent): void {
      if (event.kind === "narration" && event.action === "job_failed") failure = { code: event.fields?.code as string | undefined, hint: event.fields?.hint as string | undefined };
      if (opts.json) {
        opts.stdout.write(`${JSON.stringify(event)}\n`);
        return;
      }
      if (event.kind === "token") {
        clearBar();
        opts.stdout.write(event.text);
        tokensOpen = true;
      } else if (event.kind === "result") {
        clearBar();
        endTokens();
        const text = opts.formatResult ? opts.formatResult(event.result) : JSON.stringify(event.result, null, 2);
        if (text) opts.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
      } else if (event.progress && opts.stderr.isTTY) {
        opts.stderr.write(`\r\x1b[2K${renderProgressLine(prefix(event), event.progress, opts.stderr.columns ?? 80)}`);
        barShown = true;
      } else {
        clearBar();
        if (event.action === "job_failed") return;
        if (event.level === "debug") return;
        // On a terminal, a story line after streamed text starts on its own line.
        if ((opts.stdout as { isTTY?: boolean }).isTTY) endTokens();
        opts.stderr.write(`${prefix(event)} ${event.human}\n`);
      }
    },
    /** Called once when the stream ends. */
    end(): void {
      clearBar();
      endTokens();
    },
    /** The code and hint of the job's failure, from its last `job_failed` line. */
    failure: () => failure,
  };
}

/** `[queen]`, or `[hive gpu1]` for a line relayed from a hive. */
function prefix(e: NarrationEvent): string {
  const who = e.origin ? `${e.actor} ${e.origin}` : e.actor;
  const mark = e.level === "error" ? "✗ " : e.level === "warn" ? "! " : "";
  return `${mark}[${who}]`;
}
