import type { Offload } from "../engine/offload.ts";
import type { RestartMode } from "./restart-policy.ts";

/** What a hive knows of one worker process: what it was started with, and what it reports. */
export type WorkerState = "starting" | "loading" | "ready" | "restarting" | "failed" | "stopped";

export interface WorkerSpec {
  workerId: string;
  hiveId: string;
  modelId: string;
  modelPath: string;
  device: string;
  /** Layers to offload to a GPU device ("auto": what fits). */
  gpuLayers?: "auto" | "max" | number;
  slots: number;
  /** Which exits bring it back; on-failure by default. */
  restart?: RestartMode;
  /** Context tokens per slot (placement's choice; the worker's default when unset). */
  contextSize?: number;
  /** A chat wrapper by name (models.json `chat_template`); default: what the model implies. */
  chatTemplate?: string;
  /** Idle time before it unloads, in ms; KEEP_FOREVER (or unset): it stays. */
  keepAliveMs?: number;
  /** Started for a request, not by hand: it may be evicted to make room for another model. */
  onDemand?: boolean;
  /** What placement estimated it needs (weights + KV + scratch): what evicting it frees. */
  memoryBytes?: number;
}

export interface WorkerInfo extends Partial<Offload> {
  worker_id: string;
  hive_id: string;
  model: string;
  device: string;
  state: WorkerState;
  slots: number;
  busy: number;
  pid?: number;
  port?: number;
  url?: string;
  rss_bytes?: number;
  uptime_s?: number;
  restarts: number;
  restart_policy?: RestartMode;
  load_ms?: number;
  /** Tokens per slot, as the loaded worker reports it (else as asked). */
  context_size?: number;
  /** The chat wrapper the worker renders chat messages with. */
  chat_template?: string;
  error?: string;
  /** Started for a request (by the queen or hive), not by hand. */
  on_demand?: boolean;
  /** Idle time before it unloads, in seconds; -1: never. */
  keep_alive_s?: number;
  /** Seconds since its last request ended (absent while it serves one). */
  idle_s?: number;
  /** Seconds until it unloads (absent while busy or when it never does). */
  unload_in_s?: number;
}
