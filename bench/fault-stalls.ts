/**
 * Two scenarios of the fault suite (bench/faults.ts): things that hang. Each starts its own
 * compiled queen with short stall timeouts, so the figures come in seconds.
 */
import { DaemonClient } from "../src/keeper/daemon-client.ts";
import type { WorkerInfo } from "../src/hive/worker-process.ts";
import { startStallingServer } from "../test/helpers/slow-server.ts";
import { spawnDaemon, type BenchDaemon } from "./bench-daemon.ts";

export interface FaultContext {
  token: string;
  /** A fresh RBEE_HOME (removed by the suite). */
  home: () => string;
  /** Daemons the suite stops at the end. */
  daemons: BenchDaemon[];
  row: (what: string, figure: string, target: string) => void;
}

const WORKER_STALL_S = 2;
const DOWNLOAD_STALL_S = 1;

async function queenWith(ctx: FaultContext, flags: string[]) {
  const queen = await spawnDaemon(["serve", "--port", "0", ...flags], { RBEE_HOME: ctx.home(), RBEE_API_TOKEN: ctx.token });
  ctx.daemons.push(queen);
  const client = new DaemonClient(queen.url, ctx.token);
  const run = async (op: Record<string, unknown>) => {
    const { job_id } = await client.submit(op as never);
    let result: unknown;
    const outcome = await client.stream(job_id, { onEvent: (e) => e.kind === "result" && (result = e.result) });
    return { result, outcome };
  };
  return { client, run };
}

/** SIGSTOP of a worker mid-stream: the client gets [ERROR] within the stall timeout; the worker comes back by policy. */
export async function sigstopWorkerMidStream(ctx: FaultContext): Promise<void> {
  const { client, run } = await queenWith(ctx, ["--worker-stall-timeout", `${WORKER_STALL_S}s`]);
  await run({ operation: "model_download", model: "demo:tiny" });
  const w = (await run({ operation: "worker_spawn", model: "demo-tiny" })).result as WorkerInfo;
  const { job_id } = await client.submit({ operation: "infer", model: "demo-tiny", prompt: "go", max_tokens: 30_000 });
  let stoppedAt = 0;
  const outcome = await client.stream(job_id, {
    onEvent: (e) => {
      if (e.kind === "token" && !stoppedAt) {
        stoppedAt = performance.now();
        process.kill(w.pid!, "SIGSTOP");
      }
    },
  });
  const errorAfter = performance.now() - stoppedAt;
  const named = outcome.state === "failed" && outcome.error.includes(w.worker_id);
  ctx.row(
    `worker SIGSTOP mid-stream → client [ERROR] (stall timeout ${WORKER_STALL_S} s)`,
    `${outcome.state === "failed" ? "[ERROR]" : outcome.state}${named ? " naming the worker" : ""} after ${(errorAfter / 1000).toFixed(2)} s`,
    `≤ ${WORKER_STALL_S} s + 1 s`,
  );
  const end = Date.now() + 30_000;
  let back: WorkerInfo | undefined;
  while (!back && Date.now() < end) {
    const info = (await run({ operation: "worker_get", worker_id: w.worker_id })).result as WorkerInfo;
    if (info.state === "ready" && info.pid !== w.pid) back = info;
    else await Bun.sleep(50);
  }
  const again = back && (await run({ operation: "infer", model: "demo-tiny", prompt: "back?", max_tokens: 8 })).outcome.state;
  ctx.row("… hung worker killed and back by policy", back ? `ready again after ${((performance.now() - stoppedAt) / 1000).toFixed(1)} s (restart ${back.restarts}), next infer ${again}` : "NOT BACK", "restarted, serves");
}

/** A source that sends headers and 64 bytes, then nothing: retried (resuming), then a clear error. */
export async function stalledDownload(ctx: FaultContext): Promise<void> {
  const { run } = await queenWith(ctx, ["--download-stall-timeout", `${DOWNLOAD_STALL_S}s`]);
  const source = await startStallingServer(1024 * 1024, 64);
  try {
    const started = performance.now();
    const { outcome } = await run({ operation: "model_download", model: source.url });
    const took = (performance.now() - started) / 1000;
    const error = outcome.state === "failed" ? outcome.error.replace(/^\S+ /, "") : outcome.state;
    ctx.row(
      `stalled download (headers + 64 bytes, stall timeout ${DOWNLOAD_STALL_S} s)`,
      `${outcome.state === "failed" ? "[ERROR]" : outcome.state} after ${took.toFixed(1)} s, ${source.ranges.length} attempts (${source.ranges.filter(Boolean).length} with Range): "${error}"`,
      "retried, then a clear error in seconds",
    );
  } finally {
    await source.stop();
  }
}
