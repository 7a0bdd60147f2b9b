import { JobRegistry, type RegistryLimits } from "../../src/jobs/job-registry.ts";
import { runJob, type Executor } from "../../src/jobs/job-runner.ts";
import { jobStreamResponse } from "../../src/jobs/job-stream.ts";
import { readSse, type SseMessage } from "../../src/keeper/sse-reader.ts";
import type { Operation } from "../../src/protocol/operations.ts";

/** Reads a job's SSE stream (the same Response a daemon sends) to its end. */
export async function collectStream(registry: JobRegistry, jobId: string, lastEventId = 0): Promise<SseMessage[]> {
  const res = jobStreamResponse(registry.require(jobId), lastEventId);
  const messages: SseMessage[] = [];
  for await (const m of readSse(res.body!)) messages.push(m);
  return messages;
}

/** Starts one job on a fresh or given registry. */
export function startJob(registry: JobRegistry, executor: Executor, operation: Operation = { operation: "status" }) {
  const job = registry.create(operation);
  const done = runJob(job, executor);
  return { job, done };
}

export function newRegistry(limits: Partial<RegistryLimits> = {}) {
  return new JobRegistry(limits);
}

export const narrationsOf = (messages: SseMessage[]) =>
  messages.filter((m) => m.event === "narration").map((m) => JSON.parse(m.data) as { human: string; job_id?: string; action: string });
