import type { JobOutcome } from "../src/keeper/daemon-client.ts";
import type { JobEvent, Level, Progress } from "../src/protocol/events.ts";

/** One line of a job pane: narration, generated text, or the stream's end marker. */
export type PaneEntry =
  | { kind: "narration"; text: string; level: Level; progress?: boolean }
  | { kind: "text"; text: string }
  | { kind: "end"; text: string; outcome: PaneOutcome };

export type PaneOutcome = "completed" | "failed" | "cancelled" | "lost";

/** What the dashboard shows for one job's stream. */
export interface PaneState {
  jobId: string;
  operation: string;
  entries: PaneEntry[];
  progress?: Progress;
  outcome?: PaneOutcome;
  error?: string;
  tokens: number;
  lastEventId: number;
  openedAt: number;
  finishedAt?: number;
}

const MAX_ENTRIES = 200;
const MAX_TEXT = 16_000;

export function newPane(jobId: string, operation: string, now = Date.now()): PaneState {
  return { jobId, operation, entries: [], tokens: 0, lastEventId: 0, openedAt: now };
}

/**
 * Terminal-safe text: a token may carry any byte; escape sequences would move the cursor
 * or recolour the screen, so control characters become visible placeholders.
 */
export function sanitize(text: string): string {
  return text.replace(/\t/g, "  ").replace(/\r\n?/g, "\n").replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, "·");
}

/** Adds one event to a pane (mutates it: the store copies on publish). */
export function applyEvent(pane: PaneState, event: JobEvent, id: number): void {
  if (id) pane.lastEventId = Math.max(pane.lastEventId, id);
  if (event.kind === "token") {
    pane.tokens++;
    const last = pane.entries.at(-1);
    const text = sanitize(event.text);
    if (last?.kind === "text") last.text = (last.text + text).slice(-MAX_TEXT);
    else push(pane, { kind: "text", text });
    return;
  }
  // Debug lines (a worker's own log output) stay out, as `rbee` commands leave them out.
  if (event.kind === "narration" && event.level !== "debug") {
    const origin = event.origin ? `${event.origin}: ` : "";
    const entry: PaneEntry = { kind: "narration", text: sanitize(origin + event.human), level: event.level, progress: !!event.progress };
    // Progress comes several times a second: it moves the gauge and replaces its own line.
    if (event.progress) pane.progress = event.progress;
    const last = pane.entries.at(-1);
    if (event.progress && last?.kind === "narration" && last.progress) pane.entries[pane.entries.length - 1] = entry;
    else push(pane, entry);
  }
  // `result` events are data for the lists, not part of the story.
}

export function endPane(pane: PaneState, outcome: JobOutcome | { state: "lost"; error: string }, now = Date.now()): void {
  if (pane.outcome) return;
  pane.outcome = outcome.state;
  pane.finishedAt = now;
  if (outcome.state === "failed" || outcome.state === "lost") pane.error = outcome.error;
  push(pane, { kind: "end", outcome: outcome.state, text: markerText(outcome) });
}

/** The markers the stream itself ends with, so the pane reads like `rbee jobs logs`. */
function markerText(outcome: JobOutcome | { state: "lost"; error: string }): string {
  switch (outcome.state) {
    case "completed":
      return "[DONE]";
    case "cancelled":
      return "[CANCELLED]";
    case "failed":
      return `[ERROR] ${sanitize(outcome.error)}`;
    case "lost":
      return `[LOST] ${sanitize(outcome.error)}`;
  }
}

function push(pane: PaneState, entry: PaneEntry): void {
  pane.entries.push(entry);
  if (pane.entries.length > MAX_ENTRIES) pane.entries.splice(0, pane.entries.length - MAX_ENTRIES);
}

/** A pane as published to React: a copy the store will not mutate later. */
export function freezePane(pane: PaneState): PaneState {
  return { ...pane, entries: pane.entries.map((e) => ({ ...e })) };
}
