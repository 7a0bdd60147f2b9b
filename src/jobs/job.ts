import { CANCELLED, DONE, ERROR_PREFIX, type JobEvent } from "../protocol/events.ts";
import type { Operation } from "../protocol/operations.ts";
import { hiveIdOf, READ_ONLY } from "../protocol/operations.ts";
import { isFinished, type JobInfo, type JobState } from "../protocol/jobs.ts";
import { encodeSse } from "./sse.ts";
import { audit } from "../security/audit-log.ts";

/** One encoded SSE frame kept for replay. */
export interface Frame {
  id: number;
  bytes: Uint8Array;
  /** The event itself, for subscribers in this process (they need not decode the bytes). */
  event?: JobEvent;
}

/**
 * A frame whose bytes are encoded on first read: a token of an inference relayed inside the
 * queen reaches only in-process subscribers, which read `event`, so most are never encoded.
 */
function eventFrame(id: number, event: JobEvent): Frame {
  let bytes: Uint8Array | undefined;
  return {
    id,
    event,
    get bytes() {
      return (bytes ??= encodeSse(id, JSON.stringify(event), event.kind));
    },
  };
}

type Listener = (frame: Frame, final: boolean) => void;

/**
 * One job: its state, its bounded event log (for late subscribers), and its live
 * subscribers. The log drops its oldest frames past `maxEvents`; the terminal frame is
 * kept aside so a stream always ends with exactly one marker.
 */
export class Job {
  state: JobState = "queued";
  readonly createdAt = Date.now();
  startedAt?: number;
  finishedAt?: number;
  error?: string;
  /** Absolute time (epoch ms) at which the job is aborted, from X-Deadline. */
  deadline?: number;
  /** Fingerprint of the token that asked for it (for the audit log; never the token). */
  actorToken?: string;
  readonly controller = new AbortController();
  private readonly frames: Frame[] = [];
  private nextId = 1;
  private terminal?: Frame;
  private readonly listeners = new Set<Listener>();
  /** Total events pushed, including those dropped from the replay buffer. */
  eventCount = 0;

  constructor(
    readonly id: string,
    readonly operation: Operation,
    readonly correlationId: string,
    private readonly maxEvents: number,
  ) {}

  push(event: JobEvent): void {
    if (this.terminal) return;
    const frame = eventFrame(this.nextId++, event);
    this.eventCount++;
    this.frames.push(frame);
    if (this.frames.length > this.maxEvents) this.frames.shift();
    for (const listener of this.listeners) listener(frame, false);
  }

  /** Ends the job once: the state, then exactly one terminal marker to every subscriber. */
  finish(state: "completed" | "failed" | "cancelled", error?: string): void {
    if (this.terminal) return;
    this.state = state;
    this.error = error;
    this.finishedAt = Date.now();
    // Reads are polled every second; like GETs, they are not audited.
    if (!READ_ONLY.has(this.operation.operation)) audit("job_finished", { ...this.auditFields(), state, ...(error ? { error } : {}) });
    const marker = state === "completed" ? DONE : state === "cancelled" ? CANCELLED : `${ERROR_PREFIX} ${oneLine(error ?? "failed")}`;
    this.terminal = { id: this.nextId++, bytes: encodeSse(this.nextId - 1, marker) };
    for (const listener of this.listeners) listener(this.terminal, true);
    this.listeners.clear();
  }

  /** Who and what, for audit records written outside the job's own context. */
  auditFields(): Record<string, unknown> {
    return { job_id: this.id, correlation_id: this.correlationId, operation: this.operation.operation, ...(this.actorToken ? { actor_token: this.actorToken } : {}) };
  }

  get finished(): boolean {
    return isFinished(this.state);
  }

  /**
   * Replays what the subscriber missed (after `lastEventId`), then follows live frames.
   * Returns the unsubscribe function; `onFrame(…, true)` is the last call.
   */
  subscribe(lastEventId: number, onFrame: Listener): () => void {
    for (const frame of this.frames) if (frame.id > lastEventId) onFrame(frame, false);
    if (this.terminal) {
      // Sent even to a client that saw it already: every stream ends with its marker.
      onFrame(this.terminal, true);
      return () => {};
    }
    this.listeners.add(onFrame);
    return () => this.listeners.delete(onFrame);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  info(): JobInfo {
    return {
      job_id: this.id,
      operation: this.operation.operation,
      state: this.state,
      created_at: this.createdAt,
      ...(this.startedAt ? { started_at: this.startedAt } : {}),
      ...(this.finishedAt ? { finished_at: this.finishedAt } : {}),
      ...(this.error ? { error: this.error } : {}),
      ...(hiveIdOf(this.operation) ? { hive_id: hiveIdOf(this.operation) } : {}),
      events: this.eventCount,
    };
  }
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " ");
