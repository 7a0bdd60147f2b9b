import { AsyncLocalStorage } from "node:async_hooks";
import type { JobEvent } from "../protocol/events.ts";

/**
 * The narration context: which job the running code belongs to. It is set ONCE, by the
 * job runner around the executor; nothing else passes a job id around. Everything awaited
 * inside the executor (timers, Promise.all, child-process callbacks, sockets) keeps it.
 */
export interface NarrationContext {
  jobId: string;
  correlationId: string;
  /** Fingerprint of the token that asked for the job (audit records carry it). */
  actorToken?: string;
  /** Where this job's events go: its event log. */
  emit: (event: JobEvent) => void;
}

const storage = new AsyncLocalStorage<NarrationContext>();

export function runWithNarration<T>(ctx: NarrationContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

export function tryGetNarration(): NarrationContext | undefined {
  return storage.getStore();
}

export function getNarration(): NarrationContext {
  const ctx = storage.getStore();
  if (!ctx) throw new Error("no narration context: this code must run inside a job");
  return ctx;
}

/**
 * Runs `fn` outside any job: what it (and the timers it sets) narrates goes to the daemon's
 * log only. For work a job starts but that outlives it, like a keep-alive timer.
 */
export function outsideJobs<T>(fn: () => T): T {
  return storage.exit(fn);
}
