import type { NarrationEvent } from "../protocol/events.ts";

/**
 * Where narration lines go besides job streams: the daemon's stdout (its log file when it
 * runs in the background). Quiet by default in the keeper and in tests; daemons turn it on.
 */
type LogWriter = (line: string) => void;

let writer: LogWriter | undefined;

export function setLogWriter(next: LogWriter | undefined): void {
  writer = next;
}

export function formatLogLine(e: NarrationEvent): string {
  const job = e.job_id ? ` [${e.job_id}]` : "";
  const origin = e.origin ? ` <${e.origin}>` : "";
  return `${new Date(e.ts).toISOString()} ${e.level.toUpperCase().padEnd(5)} ${e.actor}${origin}${job} ${e.action}: ${e.human}`;
}

export function writeLogLine(event: NarrationEvent): void {
  // Progress ticks would flood a log file; the stream already carries them. Debug lines
  // (polled reads, workers' own output) go to the log only with RBEE_LOG=debug.
  if (!writer || event.progress) return;
  if (event.level === "debug" && process.env.RBEE_LOG !== "debug") return;
  writer(formatLogLine(event));
}
