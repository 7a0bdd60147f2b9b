import { runWithNarration } from "../../src/narration/context.ts";
import type { JobEvent, NarrationEvent } from "../../src/protocol/events.ts";

/** Runs fn inside a job-like narration context; returns its result or error and what it narrated. */
export async function narrated<T>(
  fn: () => Promise<T>,
  onEvent?: (e: NarrationEvent) => void,
): Promise<{ result?: T; error?: any; events: NarrationEvent[] }> {
  const events: NarrationEvent[] = [];
  const emit = (e: JobEvent) => {
    if (e.kind !== "narration") return;
    events.push(e);
    onEvent?.(e);
  };
  try {
    return { result: await runWithNarration({ jobId: "t", correlationId: "t", emit }, fn), events };
  } catch (error) {
    return { error, events };
  }
}
