import type { WorkerInfo } from "../../src/hive/worker-process.ts";
import type { JobInfo } from "../../src/protocol/jobs.ts";
import type { HiveEntry } from "../../src/queen/hive-directory.ts";
import { DashboardStore, type ModelRow } from "../../tui/store.ts";
import { applyEvent, endPane } from "../../tui/pane-log.ts";
import type { DeviceRow } from "../../tui/views/devices.ts";

/** A fixed moment, so ages and durations in frames do not move. */
export const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

export const hives: HiveEntry[] = [
  { id: "localhost", state: "online", embedded: true, last_seen: NOW },
  { id: "gpu1", url: "http://192.168.1.20:7835", state: "offline", embedded: false, last_seen: NOW - 95_000 },
];

export const workers: WorkerInfo[] = [
  { worker_id: "wrk-aaaaaa", hive_id: "localhost", model: "demo-tiny", device: "cpu:0", state: "ready", slots: 2, busy: 1, pid: 4242, port: 7901, rss_bytes: 120 * 1024 * 1024, uptime_s: 61, restarts: 0 },
  { worker_id: "wrk-bbbbbb", hive_id: "localhost", model: "tinyllama", device: "cpu:0", state: "loading", slots: 1, busy: 0, pid: 4243, restarts: 1 },
];

const model = (id: string, size: number, params: number): ModelRow => ({
  id,
  hive_id: "localhost",
  source: id === "demo-tiny" ? "demo:tiny" : `hf:TheBloke/${id}:q4_0.gguf`,
  path: `/models/${id}.gguf`,
  size_bytes: size,
  sha256: null,
  architecture: "llama",
  parameters: params,
  context_length: 2048,
  quantization: "Q4_0",
  added_at: "2026-01-01T11:00:00Z",
});
export const models: ModelRow[] = [model("demo-tiny", 1_500_000, 386_000), model("tinyllama", 590_000_000, 1_100_000_000)];

const GiB = 1024 ** 3;
export const devices: DeviceRow[] = [
  { hive_id: "localhost", id: "cpu:0", backend: "cpu", name: "AMD Ryzen 7", cores: 16, memory_total_bytes: 64 * GiB, memory_free_bytes: 48 * GiB, software: false, engine: "built-in" },
  { hive_id: "localhost", id: "vulkan:0", backend: "vulkan", name: "llvmpipe (LLVM 15.0.6, 256 bits)", memory_total_bytes: 2 * GiB, memory_free_bytes: 2 * GiB, software: true, engine: "installed" },
  { hive_id: "gpu1", id: "cuda:0", backend: "cuda", name: "NVIDIA GeForce RTX 3090", memory_total_bytes: 24 * GiB, memory_free_bytes: 6 * GiB, software: false, engine: "missing" },
];

export const jobs: JobInfo[] = [
  { job_id: "job-infer0000000001", operation: "infer", state: "running", created_at: NOW - 5_000, started_at: NOW - 5_000, hive_id: "localhost", events: 40 },
  { job_id: "job-down0000000002", operation: "model_download", state: "running", created_at: NOW - 20_000, started_at: NOW - 20_000, hive_id: "localhost", events: 12 },
  { job_id: "job-done0000000003", operation: "worker_spawn", state: "completed", created_at: NOW - 60_000, started_at: NOW - 60_000, finished_at: NOW - 57_000, hive_id: "localhost", events: 4 },
  { job_id: "job-read0000000004", operation: "worker_list", state: "completed", created_at: NOW - 1_000, started_at: NOW - 1_000, finished_at: NOW - 1_000, events: 2 },
];

/** A store holding fixed data and two job panes, talking to no queen. */
export function fixedStore(): DashboardStore {
  const store = new DashboardStore(undefined, "http://127.0.0.1:7833", { publishMs: 0 });
  store.update({ connection: "connected", version: "0.1.0", hives, workers, models, devices, jobs });
  const infer = store.pane("job-infer0000000001", "infer");
  applyEvent(infer, { kind: "narration", ts: NOW, level: "info", actor: "queen", action: "worker_chosen", human: "using worker wrk-aaaaaa" }, 1);
  for (const text of ["Once", " upon", " a", " time"]) applyEvent(infer, { kind: "token", text }, 2);
  const download = store.pane("job-down0000000002", "model_download");
  applyEvent(download, { kind: "narration", ts: NOW, level: "info", actor: "hive", action: "download", human: "downloading tinyllama", progress: { current: 295_000_000, total: 590_000_000, unit: "bytes" } }, 1);
  const done = store.pane("job-done0000000003", "worker_spawn");
  endPane(done, { state: "completed" });
  // Opened "at once": the clock must not order them (a millisecond tick between two panes
  // would make the later one the newest, and change which pane a narrow screen shows).
  for (const pane of [infer, download, done]) pane.openedAt = NOW;
  store.flush();
  return store;
}
