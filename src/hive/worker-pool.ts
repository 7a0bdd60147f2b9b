import { randomBytes } from "node:crypto";
import { narrate } from "../narration/narrate.ts";
import { outsideJobs } from "../narration/context.ts";
import { RbeeError } from "../protocol/errors.ts";
import { formatKeepAlive, KEEP_FOREVER, parseKeepAlive } from "../config/timeouts.ts";
import type { RestartPolicy } from "./restart-policy.ts";
import { WorkerProcess, type WorkerInfo, type WorkerSpec } from "./worker-process.ts";
import { StandbyWorker } from "./standby-worker.ts";

/** What a spawn asks for: a worker's spec without the ids the pool gives it. */
export type SpawnRequest = Omit<WorkerSpec, "workerId" | "hiveId">;

export interface PoolOptions {
  /** Keep-alive of on-demand workers when neither the request nor the model config sets one (ms; -1 never). */
  keepAliveMs?: number;
  /** At most this many workers loaded: an on-demand spawn evicts the least recently used idle one first. */
  maxLoaded?: number;
}

/** Ollama's default: on-demand workers unload after five idle minutes. */
export const DEFAULT_KEEP_ALIVE_MS = 5 * 60_000;
/** A worker just started for a waiting request is not idle yet: its request is on the way. */
const RESERVED_MS = 10_000;

/** "12 min", "3 s": how long a worker has been idle. */
export function formatIdle(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min` : `${Math.floor(s / 3600)} h`;
}

/**
 * The workers of one hive: spawn, find, stop. Stopping the hive stops them all. It sees every
 * request to its workers (begin/end), so it keeps their idle clocks: a worker with a keep-alive
 * unloads once idle that long.
 */
export class WorkerPool {
  private readonly workers = new Map<string, WorkerProcess>();
  /** Kept only when the hive asks for it (`keepStandby`): daemons do, in-process tests need not. */
  private readonly standby = new StandbyWorker();
  private standbyWanted = false;
  /** A standby was taken and its successor waits for the hive to be idle (see refillStandby). */
  private standbyDue = false;
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Workers started for a waiting request, until that request begins (or RESERVED_MS passes). */
  private readonly reserved = new Map<string, number>();
  private readonly changeWaiters = new Set<() => void>();
  private lock: Promise<unknown> = Promise.resolve();
  readonly keepAliveMs: number;
  readonly maxLoaded?: number;

  constructor(
    readonly hiveId: string,
    private readonly policy?: RestartPolicy,
    /** A worker that sends nothing for this long mid-request is declared hung. */
    readonly stallMs = 30_000,
    opts: PoolOptions = {},
  ) {
    this.keepAliveMs = opts.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
    this.maxLoaded = opts.maxLoaded;
  }

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
      this.changed();
      this.refillStandby();
      throw err;
    }
    // Unused, it still goes after its keep-alive; one started for a request not before that request had time to arrive.
    const keep = worker.spec.keepAliveMs ?? KEEP_FOREVER;
    if (req.onDemand) this.reserved.set(workerId, Date.now() + RESERVED_MS);
    if (keep > 0 || (keep === 0 && req.onDemand)) this.arm(worker, req.onDemand ? Math.max(keep, RESERVED_MS) : keep);
    this.refillStandby();
    return worker;
  }

  /**
   * The next standby starts once no request runs here (nor waits for a worker started for it),
   * not while a model loads or a first token is computed: a new engine's start takes the cores
   * for about half a second (measured: a cold start's first token 114 ms → 350–480 ms when the
   * refill ran beside it). Its story is the daemon's, not a job's.
   */
  private refillStandby(): void {
    if (!this.standbyWanted) return;
    const idle = [...this.workers.values()].every((w) => w.busy === 0 && !this.isReserved(w));
    this.standbyDue = !idle;
    if (idle) outsideJobs(() => this.standby.fill());
  }

  /** Runs on-demand spawns one at a time, so two never count the same free memory. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  /** A request starts on `worker`: it is busy, and its keep-alive clock stops. */
  begin(worker: WorkerProcess): void {
    worker.busy++;
    this.reserved.delete(worker.spec.workerId);
    this.disarm(worker);
  }

  /**
   * A request on `worker` ended. Once it is idle its keep-alive runs: the request's own
   * (`keep_alive`, Ollama's meaning) or the worker's. Workers spawned by hand without a
   * keep-alive stay whatever the request says. Keep-alive 0 unloads it now, in this request's job.
   */
  async end(worker: WorkerProcess, keepAlive?: string | number): Promise<void> {
    worker.busy = Math.max(0, worker.busy - 1);
    worker.lastUsedAt = Date.now();
    this.changed();
    if (this.standbyDue) this.refillStandby();
    const own = worker.spec.keepAliveMs ?? KEEP_FOREVER;
    if (worker.busy > 0 || own < 0 || this.workers.get(worker.spec.workerId) !== worker) return;
    const keep = keepAlive === undefined ? own : parseKeepAlive(keepAlive);
    worker.keepAliveMs = keep;
    if (keep === 0) await this.unload(worker, `keep_alive 0: unloading ${worker.spec.modelId} (worker ${worker.spec.workerId}) right after the request`);
    else if (keep > 0) this.arm(worker, keep);
    else worker.unloadAt = undefined;
  }

  /**
   * Takes an idle worker out of the pool (so nothing new is sent to it) and stops it, narrated.
   * Refuses, returning false, when a request started on it meanwhile.
   */
  async unload(worker: WorkerProcess, story: string): Promise<boolean> {
    const id = worker.spec.workerId;
    if (worker.busy > 0 || this.workers.get(id) !== worker) return false;
    this.workers.delete(id);
    this.disarm(worker);
    this.reserved.delete(id);
    narrate("worker_unload", story, { worker_id: id, model: worker.spec.modelId, idle_ms: Date.now() - worker.lastUsedAt });
    await worker.stop();
    this.changed();
    if (this.standbyDue) this.refillStandby();
    return true;
  }

  /** Whether a just-started worker still waits for the request it was started for. */
  isReserved(worker: WorkerProcess): boolean {
    return (this.reserved.get(worker.spec.workerId) ?? 0) > Date.now();
  }

  /** Resolves when a request ends or a worker goes, or after `ms` (whatever changed, look again). */
  waitForChange(signal: AbortSignal, ms: number): Promise<void> {
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.changeWaiters.delete(done);
        signal.removeEventListener("abort", abort);
        resolve();
      };
      const abort = () => {
        done();
        reject(signal.reason);
      };
      const timer = setTimeout(done, ms);
      this.changeWaiters.add(done);
      signal.addEventListener("abort", abort, { once: true });
    });
  }

  /** Workers that hold (or are loading) a model: what --max-loaded counts. */
  loaded(): WorkerProcess[] {
    return [...this.workers.values()].filter((w) => w.state !== "failed" && w.state !== "stopped");
  }

  private changed(): void {
    for (const wake of [...this.changeWaiters]) wake();
  }

  /** The keep-alive timer runs outside any job: its unload is told in the daemon's log. */
  private arm(worker: WorkerProcess, ms: number): void {
    this.disarm(worker);
    worker.unloadAt = Date.now() + ms;
    const timer = outsideJobs(() =>
      setTimeout(() => {
        this.timers.delete(worker.spec.workerId);
        if (worker.busy > 0 || worker.state !== "ready") return;
        void this.unload(worker, `unloading ${worker.spec.modelId} (worker ${worker.spec.workerId}): idle ${formatIdle(Date.now() - worker.lastUsedAt)}, keep-alive ${formatKeepAlive(ms)}`);
      }, ms),
    );
    timer.unref?.();
    this.timers.set(worker.spec.workerId, timer);
  }

  private disarm(worker: WorkerProcess): void {
    clearTimeout(this.timers.get(worker.spec.workerId));
    this.timers.delete(worker.spec.workerId);
    worker.unloadAt = undefined;
  }

  list(): WorkerInfo[] {
    return [...this.workers.values()].map((w) => w.info());
  }

  /** Each worker's slots and state, without `info()`'s /proc reads: the queen's scheduler asks on every request. */
  slots(): { worker_id: string; model: string; state: string; slots: number; busy: number; context_size?: number; unload_in_s?: number }[] {
    return [...this.workers.values()].map((w) => ({
      worker_id: w.spec.workerId,
      model: w.spec.modelId,
      state: w.state,
      slots: w.spec.slots,
      busy: w.busy,
      context_size: w.contextSize,
      ...(w.unloadAt !== undefined && w.busy === 0 ? { unload_in_s: Math.max(0, (w.unloadAt - Date.now()) / 1000) } : {}),
    }));
  }

  get(workerId: string): WorkerProcess {
    const worker = this.workers.get(workerId);
    if (!worker) throw new RbeeError("WORKER_NOT_FOUND", `no worker ${workerId} on hive ${this.hiveId}`, "See the workers with `rbee worker list`.", 404);
    return worker;
  }

  async stop(workerId: string): Promise<WorkerInfo> {
    const worker = this.get(workerId);
    this.disarm(worker);
    await worker.stop();
    this.workers.delete(workerId);
    this.changed();
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
    for (const w of this.workers.values()) this.disarm(w);
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    this.workers.clear();
  }
}
