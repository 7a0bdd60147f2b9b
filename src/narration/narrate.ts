import type { Level, NarrationEvent, Progress } from "../protocol/events.ts";
import { tryGetNarration } from "./context.ts";
import { writeLogLine } from "./log-sink.ts";

export interface NarrateFields {
  level?: Level;
  actor?: string;
  progress?: Progress;
  [key: string]: unknown;
}

let defaultActor = "rbee";

/** The name daemons put on their lines (queen, hive, worker, keeper). */
export function setNarrationActor(actor: string): void {
  defaultActor = actor;
}

/**
 * Tell the story of what is happening. Inside a job the event goes to that job's stream
 * (and the log); outside any job it goes to the log only and can never reach a stream.
 */
export function narrate(action: string, human: string, fields: NarrateFields = {}): NarrationEvent {
  const { level = "info", actor = defaultActor, progress, ...rest } = fields;
  const ctx = tryGetNarration();
  const event: NarrationEvent = {
    kind: "narration",
    ts: Date.now(),
    level,
    actor,
    action,
    human,
    ...(ctx ? { job_id: ctx.jobId, correlation_id: ctx.correlationId } : {}),
    ...(progress ? { progress } : {}),
    ...(Object.keys(rest).length ? { fields: rest } : {}),
  };
  if (ctx) ctx.emit(event);
  writeLogLine(event);
  return event;
}
