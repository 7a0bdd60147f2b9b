import { randomBytes } from "node:crypto";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import type { RestartMode, RestartPolicy } from "./restart-policy.ts";
import { WorkerProcess, type WorkerInfo } from "./worker-process.ts";
import { StandbyWorker } from "./standby-worker.ts";

export interface SpawnRequest {
  modelId: string;
  modelPath: string;
  device: string;
  /** Layers to offload to a GPU device ("auto": what fits). */
  gpuLayers?: "auto" | "max" | number;
  slots: number;
  restart?: RestartMode;
  /** Context tokens per slot (default: the model's, at most 4096). */
  contextSize?: number;
  /** A chat wrapper by name (models.json `chat_template`); default: what the model implies. */
  chatTemplate?: string;
}

/** The workers of one hive: spawn, find, stop. Stopping the hive stops them all. */
export class WorkerPool {
  private readonly workers = new Map<string, WorkerProcess>();
  /** Kept only when the hive asks for it (`keepStandby`): daemons do, in-process tests need not. */
  private readonly standby = new StandbyWorker();
  private standbyWanted = false;

  constructor(
    readonly hiveId: string,
    private readonly policy?: RestartPolicy,
    /** A worker that sends nothing for this long mid-request is declared hung. */
    readonly stallMs = 30_000,
  ) {}

  /** The standby worker's state, "off" when the hive keeps none. */
  get standbyState(): string {
    return this.standbyWanted ? this.standby.state : "off";
  }

  /** Keeps a CPU worker process with its engine started, for the next spawn (see StandbyWorker). */
  keepStandby(): void {
    this.standbyWanted = true;
    this.standby.fill();
  }

  async spawn(req: SpawnRequest): Promise<WorkerProcess> {
    const workerId = `wrk-${randomBytes(3).toString("hex")}`;
    const worker = new WorkerProcess({ workerId, hiveId: this.hiveId, ...req }, this.policy, this.standbyWanted ? this.standby : undefined);
    this.workers.set(workerId, worker);
    try {
      await worker.start();
    } catch (err) {
      this.workers.delete(workerId);
      throw err;
    } finally {
      // The next standby starts once this worker is up, not while it loads.
      if (this.standbyWanted) this.standby.fill();
    }
    return worker;
  }

  list(): WorkerInfo[] {
    return [...this.workers.values()].map((w) => w.info());
  }

  /** Each worker's slots and state, without `info()`'s /proc reads: the queen's scheduler asks on every request. */
  slots(): { worker_id: string; model: string; state: string; slots: number; busy: number; context_size?: number }[] {
    return [...this.workers.values()].map((w) => ({ worker_id: w.spec.workerId, model: w.spec.modelId, state: w.state, slots: w.spec.slots, busy: w.busy, context_size: w.contextSize }));
  }

  get(workerId: string): WorkerProcess {
    const worker = this.workers.get(workerId);
    if (!worker) throw new RbeeError("WORKER_NOT_FOUND", `no worker ${workerId} on hive ${this.hiveId}`, "See the workers with `rbee worker list`.", 404);
    return worker;
  }

  async stop(workerId: string): Promise<WorkerInfo> {
    const worker = this.get(workerId);
    await worker.stop();
    this.workers.delete(workerId);
    return worker.info();
  }

  /** The least busy ready worker for a model that has a free slot, if any. */
  pickReady(modelId: string): WorkerProcess | undefined {
    let best: WorkerProcess | undefined;
    for (const w of this.workers.values()) {
      if (w.spec.modelId !== modelId || w.state !== "ready" || w.busy >= w.spec.slots) continue;
      if (!best || w.busy < best.busy) best = w;
    }
    return best;
  }

  /** True while any worker (not stopped) has the model loaded or loading. */
  uses(modelId: string): boolean {
    for (const w of this.workers.values()) if (w.spec.modelId === modelId && w.state !== "stopped") return true;
    return false;
  }

  async stopAll(): Promise<void> {
    this.standby.stop();
    if (this.workers.size) narrate("workers_stopping", `stopping ${this.workers.size} worker(s)`);
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    this.workers.clear();
  }
}
