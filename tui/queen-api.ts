import { DaemonClient, type JobOutcome } from "../src/keeper/daemon-client.ts";
import type { Device } from "../src/engine/devices.ts";
import type { HiveEntry } from "../src/queen/hive-directory.ts";
import type { WorkerInfo } from "../src/hive/worker-process.ts";
import type { ModelRecord } from "../src/model/model-record.ts";
import type { JobEvent } from "../src/protocol/events.ts";
import type { JobInfo } from "../src/protocol/jobs.ts";
import type { Operation } from "../src/protocol/operations.ts";
import { RbeeError } from "../src/protocol/errors.ts";
import type { AuditStatus } from "../src/security/audit-log.ts";

/** The parts of GET /v1/info the dashboard shows. */
export interface QueenInfo {
  version: string;
  audit?: AuditStatus;
}

/**
 * What the dashboard needs from a queen. One seam: the lists are read through jobs today
 * (hive_list, worker_list, model_list, device_list); if the queen grows plain GET routes for them, only
 * this file changes.
 */
export interface QueenApi {
  readonly url: string;
  info(signal?: AbortSignal): Promise<QueenInfo>;
  jobs(signal?: AbortSignal): Promise<JobInfo[]>;
  hives(signal?: AbortSignal): Promise<HiveEntry[]>;
  workers(signal?: AbortSignal): Promise<WorkerInfo[]>;
  models(hiveId: string, signal?: AbortSignal): Promise<ModelRecord[]>;
  /** Every online hive's devices, each row naming its hive. */
  devices(signal?: AbortSignal): Promise<(Device & { hive_id: string })[]>;
  submit(op: Operation): Promise<string>;
  cancel(jobId: string): Promise<void>;
  stream(jobId: string, opts: { lastEventId: number; signal: AbortSignal; onEvent: (e: JobEvent, id: number) => void }): Promise<JobOutcome>;
}

export function queenApi(url: string, client = new DaemonClient(url)): QueenApi {
  /** Runs a read operation as a job and returns its `result` event. */
  const query = async <T>(op: Operation, signal?: AbortSignal): Promise<T> => {
    const { job_id } = await client.submit(op, signal);
    let result: unknown;
    const outcome = await client.stream(job_id, { signal, onEvent: (e) => void (e.kind === "result" && (result = e.result)) });
    if (outcome.state !== "completed") throw new RbeeError("QUERY_FAILED", `${op.operation} ${outcome.state}${outcome.state === "failed" ? `: ${outcome.error}` : ""}`);
    return result as T;
  };
  return {
    url,
    info: async (signal) => (await (await client.request("GET", "/v1/info", undefined, signal)).json()) as QueenInfo,
    jobs: async (signal) => {
      const res = await client.request("GET", "/v1/jobs", undefined, signal);
      return ((await res.json()) as { jobs: JobInfo[] }).jobs;
    },
    hives: (signal) => query<HiveEntry[]>({ operation: "hive_list" }, signal),
    workers: (signal) => query<WorkerInfo[]>({ operation: "worker_list" }, signal),
    models: (hiveId, signal) => query<ModelRecord[]>({ operation: "model_list", hive_id: hiveId }, signal),
    devices: (signal) => query<(Device & { hive_id: string })[]>({ operation: "device_list" }, signal),
    submit: async (op) => (await client.submit(op)).job_id,
    cancel: async (jobId) => void (await client.cancel(jobId)),
    stream: (jobId, opts) => client.stream(jobId, { lastEventId: opts.lastEventId, signal: opts.signal, onEvent: opts.onEvent }),
  };
}
