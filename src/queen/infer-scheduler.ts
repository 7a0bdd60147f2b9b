import { AsyncResource } from "node:async_hooks";
import type { ExecutorContext } from "../jobs/job-runner.ts";
import type { Job } from "../jobs/job.ts";
import { narrate } from "../narration/narrate.ts";
import { modelSettings } from "../config/model-config.ts";
import { RbeeError } from "../protocol/errors.ts";
import { DEFAULT_WORKER_SLOTS, isScheduled, type Operation, type OperationOf, type ScheduledOp } from "../protocol/operations.ts";
import type { HiveDirectory } from "./hive-directory.ts";
import { choosePlacement } from "./spawn-placement.ts";
import { WaitQueue } from "./wait-queue.ts";
import { ConversationAffinity } from "./conversation-affinity.ts";
import { COMING_STATES, onlineWorkers, slotKey, type LiveWorkers, type WorkerSlots } from "./worker-view.ts";
import { contextNeed, exactNeed } from "./context-need.ts";

/** An embed or rank takes a worker's slot as an infer does, and is scheduled alike. */
type InferOp = ScheduledOp;

export interface SchedulerOptions {
  /** Requests that may wait for a slot; past this they get QUEUE_FULL (503). */
  maxQueue: number;
  /** Slots of the workers the queen starts itself. */
  spawnSlots: number;
  device: string;
  /** A worker start may take this long (loading a big model) before waiters give up on it. */
  spawnTimeoutMs: number;
}

export const DEFAULT_SCHEDULER: SchedulerOptions = { maxQueue: 64, spawnSlots: DEFAULT_WORKER_SLOTS, device: "auto", spawnTimeoutMs: 180_000 };

/** Where one request runs. No `worker_id`: the hive chooses itself (it sends no telemetry). */
export interface Grant {
  hive_id: string;
  worker_id?: string;
}

export interface InferResult {
  tokens?: number;
  ttft_ms?: number;
}

interface Pending {
  op: InferOp;
  /** Tokens of context per slot this request needs (see context-need.ts). */
  need: number;
  job: Job;
  queuedAt: number;
  /** Runs `fn` in this request's narration context (its job's stream), whoever calls. */
  inContext: <T>(fn: () => T) => T;
}

/** The worker's slot was not free yet (its previous request is still being released). */
const WORKER_BUSY = /^WORKER_BUSY$|slot\(s\) of this worker are busy/;
const MAX_BUSY_RETRIES = 20;
/** How often waiters look again at heartbeats (remote workers restarting, hives coming back). */
const RECHECK_MS = 250;
/** Compares ranks field by field: the first that differs decides. */
function isHigher(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false;
}

/** How long a started worker is assumed ready before its hive's heartbeat shows it. */
const FRESH_MS = 10_000;

/**
 * The queen's `infer`: a ready worker with a free slot, least busy first, on any online hive;
 * none for the model: start one where the model is; all busy: wait in a bounded FIFO queue.
 * The queen counts the requests it sent to each worker, so heartbeat lag never overbooks a
 * slot. The run itself still goes through `hives.run`, so forwarding stays in one place.
 */
export class InferScheduler {
  private readonly queue: WaitQueue<Pending, Grant>;
  private readonly inflight = new Map<string, number>();
  /** What each worker served last: a conversation goes back to its worker. */
  private readonly affinity = new ConversationAffinity();
  private readonly spawning = new Set<{ model: string; hive?: string; need: number }>();
  /** Workers the queen just started, until their hive's heartbeat lists them. */
  private readonly fresh = new Map<string, { worker: WorkerSlots; until: number }>();
  private readonly stopping = new AbortController();
  private recheck?: ReturnType<typeof setInterval>;
  readonly options: SchedulerOptions;
  /** Called with each completed run's result (metrics). */
  onResult?: (result: InferResult) => void;
  /** Called for each request refused with QUEUE_FULL. */
  onRejected?: () => void;
  /** Called when a request queues behind busy workers (another hive may have room: see copy-hint.ts). */
  onBusyModel?: (model: string, workers: WorkerSlots[], job: Job) => void;
  private readonly grantWatchers = new WeakMap<Job, () => void>();

  constructor(
    private readonly hives: HiveDirectory,
    private readonly live: ReadonlyMap<string, LiveWorkers>,
    options: Partial<SchedulerOptions> = {},
  ) {
    this.options = { ...DEFAULT_SCHEDULER, ...options };
    this.queue = new WaitQueue(this.options.maxQueue);
  }

  get queueDepth(): number {
    return this.queue.size;
  }

  /** Every visible worker, with the queen's own count of busy slots where it knows better. */
  workers(): WorkerSlots[] {
    const now = Date.now();
    const seen = onlineWorkers(this.hives, this.live);
    const keys = new Set(seen.map((w) => slotKey(w.hive_id, w.worker_id)));
    for (const [key, f] of this.fresh) {
      if (keys.has(key) || f.until < now || this.hives.get(f.worker.hive_id)?.state !== "online") this.fresh.delete(key);
      else seen.push(f.worker);
    }
    return seen.map((w) => {
      const mine = this.inflight.get(slotKey(w.hive_id, w.worker_id)) ?? 0;
      return { ...w, busy: w.live ? Math.max(w.busy, mine) : mine };
    });
  }

  /**
   * Calls `fn` once the job's request has its worker (or a hive that picks one): past this
   * point it is admitted, so an HTTP answer can start before the first token.
   */
  onGranted(job: Job, fn: () => void): void {
    this.grantWatchers.set(job, fn);
  }

  async infer(op: InferOp, ctx: ExecutorContext): Promise<unknown> {
    if (op.hive_id) this.assertHive(op.hive_id);
    let need = contextNeed(op);
    for (let attempt = 1; ; attempt++) {
      // A retry keeps its place: it already had its turn, so it waits at the front.
      const grant = await this.acquire(op, need, ctx, attempt > 1);
      this.grantWatchers.get(ctx.job)?.();
      try {
        const result = await this.hives.run(grant.hive_id, { ...op, hive_id: grant.hive_id, ...(grant.worker_id ? { worker_id: grant.worker_id } : {}) }, ctx);
        this.onResult?.(result as InferResult);
        return result;
      } catch (err) {
        const exact = exactNeed(op, err);
        if (ctx.signal.aborted || attempt >= MAX_BUSY_RETRIES || !(isWorkerBusy(err) || (exact && exact > need))) throw err;
        if (exact && exact > need) {
          narrate("context_retry", `worker ${grant.worker_id}'s context is too short for this prompt: it needs ${exact} tokens of context; looking for a worker that fits`, { need: exact });
          need = exact;
        } else narrate("worker_busy_retry", `worker ${grant.worker_id} is still releasing a slot; trying again`, { level: "debug", attempt });
      } finally {
        this.release(grant);
      }
      await Bun.sleep(5 * attempt);
    }
  }

  /** Refuses an infer at the door while the queue is full (the job API answers 503). */
  admit(op: Operation): void {
    // A request a free slot takes at once never waits, so a full (or zero-sized) queue is no reason to refuse it.
    if (!isScheduled(op) || !this.queue.full || this.freeWorker(op, contextNeed(op))) return;
    this.onRejected?.();
    throw new RbeeError("QUEUE_FULL", `${this.queue.size} request(s) already wait for a free slot`, "Retry shortly, or start more workers (`rbee worker spawn`) or workers with more slots.", 503);
  }

  stop(): void {
    clearInterval(this.recheck);
    this.stopping.abort(new RbeeError("CANCELLED", "the queen is shutting down"));
  }

  private async acquire(op: InferOp, need: number, ctx: ExecutorContext, retry = false): Promise<Grant> {
    // Nobody waits ahead for this model (or this is a retry, first in line): take a free slot at once.
    if (retry || !this.queue.some((p) => p.op.model === op.model)) {
      const grant = this.take(op, need);
      if (grant) return grant;
    }
    if (this.queue.full && !retry) {
      this.onRejected?.();
      throw new RbeeError("QUEUE_FULL", `all slots for ${op.model} are busy and ${this.queue.size} request(s) already wait`, "Retry shortly, or start more workers (`rbee worker spawn`) or workers with more slots.", 503);
    }
    const pending: Pending = { op, need, job: ctx.job, queuedAt: Date.now(), inContext: AsyncResource.bind(<T>(fn: () => T) => fn()) };
    const { position, granted } = this.queue.join(pending, ctx.signal, retry);
    const starting = !this.capacityComing(op, need);
    if (starting) this.spawnFor(pending);
    // Whether a worker can start at all is known only once a hive says it has the model (placement).
    const none = this.workers().some((w) => w.model === op.model && COMING_STATES.has(w.state)) ? `no worker for ${op.model} has ${need} tokens of context per slot` : `no worker for ${op.model} yet`;
    narrate("queued", starting ? `${none}: looking for a hive that has it (queued, position ${position})` : `every slot for ${op.model} is busy: queued, position ${position}`, { position });
    if (!starting && !op.hive_id) this.onBusyModel?.(op.model, this.workers(), ctx.job);
    this.ensureRecheck();
    const grant = await granted;
    narrate("dequeued", `left the queue after ${Date.now() - pending.queuedAt} ms`, { waited_ms: Date.now() - pending.queuedAt });
    return grant;
  }

  /** The least busy ready worker with a free slot for `op`, if any (nobody waiting ahead). */
  private freeWorker(op: InferOp, need: number): WorkerSlots | undefined {
    if (this.queue.some((p) => p.op.model === op.model)) return undefined;
    return this.leastBusy(op, need);
  }

  /**
   * The idle worker that last served the start of this conversation (its slot still holds that
   * KV); else the least busy, and among those the one used longest ago.
   */
  private leastBusy(op: InferOp, need: number): WorkerSlots | undefined {
    let best: { w: WorkerSlots; rank: number[] } | undefined;
    for (const w of this.workers()) {
      if (w.model !== op.model || w.state !== "ready" || w.busy >= w.slots || (op.hive_id && w.hive_id !== op.hive_id) || !fitsContext(w, need)) continue;
      const key = slotKey(w.hive_id, w.worker_id);
      // An idle worker still holds its last conversation in a free slot; a busy one may be using that slot.
      const rank = [w.busy === 0 ? this.affinity.shared(key, op) : 0, -w.busy, w.slots, -this.affinity.lastUsed(key)];
      if (!best || isHigher(rank, best.rank)) best = { w, rank };
    }
    return best?.w;
  }

  /** Reserves the least busy ready worker with a free slot for `op`, if any. */
  private take(op: InferOp, need: number): Grant | undefined {
    const best = this.leastBusy(op, need);
    if (!best) return undefined;
    const key = slotKey(best.hive_id, best.worker_id);
    this.inflight.set(key, (this.inflight.get(key) ?? 0) + 1);
    this.affinity.served(key, op);
    narrate("worker_chosen", `scheduled on worker ${best.worker_id} of hive ${best.hive_id} (${best.busy}/${best.slots} slots busy)`, { hive_id: best.hive_id, worker_id: best.worker_id });
    return { hive_id: best.hive_id, worker_id: best.worker_id };
  }

  private release(grant: Grant): void {
    this.affinity.keepOnly(new Set(this.workers().map((w) => slotKey(w.hive_id, w.worker_id))));
    if (grant.worker_id) {
      const key = slotKey(grant.hive_id, grant.worker_id);
      const left = (this.inflight.get(key) ?? 1) - 1;
      if (left > 0) this.inflight.set(key, left);
      else this.inflight.delete(key);
    }
    this.pump();
  }

  /** A slot will free up for `op` without starting anything: a worker exists, or one is starting. */
  private capacityComing(op: InferOp, need: number): boolean {
    const fits = (model: string, hive?: string) => model === op.model && (!op.hive_id || !hive || hive === op.hive_id);
    // A worker being started for a smaller request may still get a context too short for this one.
    for (const s of this.spawning) if (fits(s.model, s.hive) && s.need >= need) return true;
    return this.workers().some((w) => fits(w.model, w.hive_id) && COMING_STATES.has(w.state) && fitsContext(w, need));
  }

  /** Hands free slots to waiters in arrival order; starts workers for waiters nothing will serve. */
  private pump(): void {
    // Each grant is narrated in its own request's job, whoever freed the slot.
    this.queue.serve((p) => p.inContext(() => this.take(p.op, p.need)));
    for (const p of this.queue.payloads()) if (!this.capacityComing(p.op, p.need)) this.spawnFor(p);
    if (!this.queue.size) {
      clearInterval(this.recheck);
      this.recheck = undefined;
    }
  }

  /** Starts a worker for `p`'s model, narrated in p's job; its waiters get it through `pump`. */
  private spawnFor(p: Pending): void {
    const { model, hive_id: hive } = p.op;
    const ticket = { model, hive, need: p.need };
    this.spawning.add(ticket);
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.options.spawnTimeoutMs)]);
    const run = async (): Promise<Grant | undefined> => {
      // models.json's defaults for this model: its device, context and chat template.
      const settings = modelSettings(model);
      const placement = await choosePlacement(this.hives, model, hive, this.workers(), p.job, signal, { device: settings.device ?? this.options.device, slots: this.options.spawnSlots, ...(settings.context ? { ctx: settings.context } : {}) });
      if (placement.blind) return { hive_id: placement.hiveId };
      const spawn = {
        operation: "worker_spawn" as const,
        hive_id: placement.hiveId,
        model,
        device: placement.device ?? settings.device ?? this.options.device,
        slots: this.options.spawnSlots,
        restart: "on-failure" as const,
        ...(settings.context ? { ctx: settings.context } : {}),
        ...(p.need ? { min_ctx: p.need } : {}),
        ...(settings.chat_template ? { chat_template: settings.chat_template } : {}),
        // On demand: it unloads when idle (the request's or model's keep-alive, else the hive's) and may be evicted.
        on_demand: true,
        ...(p.op.keep_alive !== undefined ? { keep_alive: p.op.keep_alive } : {}),
      };
      const info = (await this.hives.run(placement.hiveId, spawn as OperationOf<"worker_spawn">, { signal, job: p.job })) as { worker_id: string; slots: number; context_size?: number };
      const worker: WorkerSlots = { hive_id: placement.hiveId, worker_id: info.worker_id, model, state: "ready", slots: info.slots, busy: 0, live: false, context_size: info.context_size };
      this.fresh.set(slotKey(worker.hive_id, worker.worker_id), { worker, until: Date.now() + FRESH_MS });
      return undefined;
    };
    p.inContext(run).then(
      (blind) => {
        this.spawning.delete(ticket);
        // A hive without telemetry takes this model's waiters as they are: it picks the worker.
        if (blind) this.queue.serve((w) => (w.op.model === model && (!w.op.hive_id || w.op.hive_id === blind.hive_id) ? blind : undefined));
        this.pump();
      },
      (err) => {
        this.spawning.delete(ticket);
        // A context no worker of this model can have fails only the requests that need as much.
        const tooLong = err instanceof RbeeError && err.code === "CONTEXT_TOO_LONG";
        this.queue.rejectWhere((w) => w.op.model === model && !this.capacityComing(w.op, w.need) && (!tooLong || w.need >= p.need), err);
        this.pump();
      },
    );
  }

  private ensureRecheck(): void {
    this.recheck ??= setInterval(() => this.pump(), RECHECK_MS);
    this.recheck.unref?.();
  }

  private assertHive(hiveId: string): void {
    const hive = this.hives.get(hiveId);
    if (!hive) {
      const known = this.hives.list().map((h) => h.id).join(", ") || "none";
      throw new RbeeError("UNKNOWN_HIVE", `no hive named ${hiveId} (known: ${known})`, "See the hives with `rbee hive list`.", 404);
    }
    if (hive.state !== "online") throw new RbeeError("HIVE_OFFLINE", `hive ${hiveId} is offline`, `Start it with \`rbee hive start --host ${hiveId}\`.`, 503);
  }
}

/** Whether a worker's slots hold `need` tokens; a worker whose context is unknown is assumed to. */
const fitsContext = (w: WorkerSlots, need: number) => w.context_size === undefined || w.context_size >= need;
function isWorkerBusy(err: unknown): boolean {
  if (!(err instanceof RbeeError)) return false;
  return WORKER_BUSY.test(err.code) || (err.code === "HIVE_JOB_FAILED" && WORKER_BUSY.test(err.message));
}
