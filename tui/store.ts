import type { HiveEntry } from "../src/queen/hive-directory.ts";
import type { WorkerInfo } from "../src/hive/worker-process.ts";
import type { ModelRecord } from "../src/model/model-record.ts";
import { isFinished, type JobInfo } from "../src/protocol/jobs.ts";
import type { Operation } from "../src/protocol/operations.ts";
import { RbeeError } from "../src/protocol/errors.ts";
import type { QueenApi } from "./queen-api.ts";
import type { AuditStatus } from "../src/security/audit-log.ts";
import { applyEvent, endPane, freezePane, newPane, type PaneState } from "./pane-log.ts";
import type { DeviceRow } from "./views/devices.ts";

export type Connection = "connecting" | "connected" | "disconnected";
export type ModelRow = ModelRecord & { hive_id: string };

export interface Notice {
  text: string;
  level: "info" | "error";
  at: number;
}

/** Everything the dashboard draws; a new object each time something changed. */
export interface DashboardState {
  queenUrl: string;
  connection: Connection;
  version?: string;
  /** Set while the queen cannot write its audit log (the header shows it in red). */
  auditWarning?: string;
  /** Why the last poll failed (shown while disconnected). */
  error?: string;
  /** When the next attempt to reach the queen is due (while disconnected). */
  retryAt?: number;
  hives: HiveEntry[];
  workers: WorkerInfo[];
  models: ModelRow[];
  /** Read only while the devices view is shown (listing them probes Vulkan engines). */
  devices: DeviceRow[];
  jobs: JobInfo[];
  /** Followed job streams, oldest first. */
  panes: PaneState[];
  /** The pane opened with `l`: kept after its job ends until another is opened. */
  pinned?: string;
  notice?: Notice;
}

/** One line about a failing audit log: what failed and what the queen does about it. */
export function auditWarning(audit: AuditStatus | undefined): string | undefined {
  if (!audit?.failing) return undefined;
  const then = audit.failure_action === "refuse" ? "changes refused" : "changes unrecorded";
  return `audit: ${audit.error ?? "error"} ×${audit.failed_writes ?? 0}, ${then}`;
}

/** Operations that only read: polled every second, so hidden from the jobs view by default. */
export const READ_OPERATIONS = new Set(["status", "hive_list", "worker_list", "model_list", "model_get", "worker_get", "hive_status", "device_list"]);

export interface StoreOptions {
  pollMs?: number;
  /** Models change rarely: read them every this many polls (and after model jobs end). */
  modelEvery?: number;
  maxBackoffMs?: number;
  requestTimeoutMs?: number;
  /** How long a finished pane stays on screen (unless pinned). */
  lingerMs?: number;
  /** Publishing is coalesced to at most one snapshot per this many ms (tokens arrive fast). */
  publishMs?: number;
  /** While the devices view is shown, devices are read every this many polls. */
  deviceEvery?: number;
  /** A device list may take a Vulkan probe per device on each hive: its own, longer limit. */
  deviceTimeoutMs?: number;
}

/**
 * The dashboard's live state, outside React: polls the queen, follows the streams of
 * running jobs, and reconnects by itself with backoff when the queen goes away.
 * React reads it through useSyncExternalStore (subscribe + getSnapshot).
 */
export class DashboardStore {
  private state: DashboardState;
  private snapshot: DashboardState;
  private readonly panes = new Map<string, PaneState>();
  private readonly streams = new Map<string, AbortController>();
  private readonly listeners = new Set<() => void>();
  private readonly opts: Required<StoreOptions>;
  private running = false;
  private timer?: ReturnType<typeof setTimeout>;
  private publishTimer?: ReturnType<typeof setTimeout>;
  private failures = 0;
  private modelCountdown = 0;
  private deviceCountdown = 0;
  private devicesWatched = false;
  private devicesReading = false;
  private closed = false;
  private wake?: () => void;
  /** Aborts the poll in flight on stop(), so quitting never waits on a slow queen. */
  private readonly stopped = new AbortController();

  constructor(
    private readonly api: QueenApi | undefined,
    queenUrl = api?.url ?? "",
    opts: StoreOptions = {},
  ) {
    this.opts = { pollMs: 1000, modelEvery: 3, maxBackoffMs: 5000, requestTimeoutMs: 4000, lingerMs: 60_000, publishMs: 33, deviceEvery: 3, deviceTimeoutMs: 30_000, ...opts };
    this.state = { queenUrl, connection: "connecting", hives: [], workers: [], models: [], devices: [], jobs: [], panes: [] };
    this.snapshot = this.state;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): DashboardState => this.snapshot;

  /** Replaces parts of the state and publishes at once (fixed data for tests, and polls). */
  update(patch: Partial<Omit<DashboardState, "panes">>): void {
    this.state = { ...this.state, ...patch };
    this.publish();
  }

  /** Publishes pending changes now (instead of on the next frame). */
  flush(): void {
    this.publish();
  }

  /** Adds a pane with given content (tests), or returns the live one. */
  pane(jobId: string, operation = "job"): PaneState {
    let pane = this.panes.get(jobId);
    if (!pane) this.panes.set(jobId, (pane = newPane(jobId, operation)));
    this.schedule();
    return pane;
  }

  start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    void this.loop();
  }

  stop(): void {
    this.running = false;
    this.closed = true;
    this.stopped.abort();
    clearTimeout(this.timer);
    clearTimeout(this.publishTimer);
    this.wake?.();
    for (const c of this.streams.values()) c.abort();
    this.streams.clear();
  }

  /** The devices view is shown (read devices from the next poll on) or hidden (stop reading them). */
  watchDevices(on: boolean): void {
    const opened = on && !this.devicesWatched;
    this.devicesWatched = on;
    if (opened) {
      this.deviceCountdown = 0;
      if (this.running) this.readDevices();
    }
  }

  /**
   * Reads every hive's devices beside the poll, never inside it: a Vulkan probe per device
   * can take seconds, and the other views must not wait for it. A failed read keeps the last list.
   */
  private readDevices(): void {
    if (!this.devicesWatched || this.devicesReading || !this.api || this.deviceCountdown-- > 0) return;
    this.deviceCountdown = this.opts.deviceEvery - 1;
    this.devicesReading = true;
    const signal = AbortSignal.any([AbortSignal.timeout(this.opts.deviceTimeoutMs), this.stopped.signal]);
    void this.api
      .devices(signal)
      .then((devices) => !this.closed && this.update({ devices }), () => {})
      .finally(() => (this.devicesReading = false));
  }

  notify(text: string, level: Notice["level"] = "info"): void {
    this.update({ notice: { text, level, at: Date.now() } });
  }

  /** Submits an operation and follows its stream in a pane; returns the job id. */
  async submit(op: Operation): Promise<string | undefined> {
    try {
      const jobId = await this.need().submit(op);
      this.follow(jobId, op.operation);
      this.notify(`started ${op.operation} ${jobId}`);
      return jobId;
    } catch (err) {
      this.notify(describe(err), "error");
      return undefined;
    }
  }

  async cancel(jobId: string): Promise<void> {
    try {
      await this.need().cancel(jobId);
      this.follow(jobId);
      this.notify(`cancel sent to ${jobId}`);
    } catch (err) {
      this.notify(describe(err), "error");
    }
  }

  /** Opens a job's log: follows it (replaying from its start) and keeps the pane up; again unpins it. */
  openLog(jobId: string, operation?: string): void {
    if (this.state.pinned === jobId) return this.update({ pinned: undefined });
    this.follow(jobId, operation);
    this.update({ pinned: jobId });
  }

  /** Follows a job's stream into its pane, reconnecting with Last-Event-ID after a cut. */
  follow(jobId: string, operation?: string): void {
    const pane = this.pane(jobId, operation ?? this.state.jobs.find((j) => j.job_id === jobId)?.operation ?? "job");
    if (pane.outcome || this.streams.has(jobId) || !this.api) return;
    const controller = new AbortController();
    this.streams.set(jobId, controller);
    void this.runStream(pane, controller.signal).finally(() => this.streams.delete(jobId));
  }

  private async runStream(pane: PaneState, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !this.closed) {
      try {
        const outcome = await this.api!.stream(pane.jobId, { lastEventId: pane.lastEventId, signal, onEvent: (e, id) => (applyEvent(pane, e, id), this.schedule()) });
        endPane(pane, outcome);
        this.schedule();
        if (pane.operation.startsWith("model_")) this.modelCountdown = 0; // a model changed: read models on the next poll
        return;
      } catch (err) {
        if (signal.aborted || this.closed) return;
        if (err instanceof RbeeError && err.code === "JOB_NOT_FOUND") {
          endPane(pane, { state: "lost", error: "the queen no longer knows this job (restarted?)" });
          this.schedule();
          return;
        }
        // The queen went away mid-stream: wait for the poller to reach it again, then resume.
        await this.untilNextPoll(signal);
      }
    }
  }

  private untilNextPoll(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const previous = this.wake;
      const done = () => (signal.removeEventListener("abort", done), resolve());
      this.wake = () => (previous?.(), done());
      signal.addEventListener("abort", done, { once: true });
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const ok = await this.poll();
      if (!this.running) return;
      const wait = ok ? this.opts.pollMs : Math.min(this.opts.maxBackoffMs, this.opts.pollMs * 2 ** Math.min(this.failures - 1, 10));
      if (!ok) this.update({ retryAt: Date.now() + wait });
      await new Promise<void>((r) => (this.timer = setTimeout(r, wait)));
    }
  }

  /** One round of reads. Returns whether the queen answered. */
  async poll(): Promise<boolean> {
    const api = this.need();
    const signal = AbortSignal.any([AbortSignal.timeout(this.opts.requestTimeoutMs), this.stopped.signal]);
    try {
      const readModels = this.modelCountdown-- <= 0;
      if (readModels) this.modelCountdown = this.opts.modelEvery - 1;
      const info = await api.info(signal);
      const [jobs, hives, workers] = await Promise.all([api.jobs(signal), api.hives(signal), api.workers(signal)]);
      const models = readModels ? await this.readModels(hives, signal) : this.state.models;
      this.failures = 0;
      for (const job of jobs) if (!isFinished(job.state) && !READ_OPERATIONS.has(job.operation)) this.follow(job.job_id, job.operation);
      this.prunePanes();
      this.update({ connection: "connected", version: info.version, auditWarning: auditWarning(info.audit), error: undefined, retryAt: undefined, jobs, hives, workers, models });
      this.readDevices();
      const wake = this.wake;
      this.wake = undefined;
      wake?.();
      return true;
    } catch (err) {
      if (this.closed) return false;
      this.failures++;
      this.modelCountdown = 0;
      this.update({ connection: "disconnected", error: describe(err) });
      return false;
    }
  }

  /** Models of every online hive; a hive that fails to answer keeps its last known list. */
  private async readModels(hives: HiveEntry[], signal: AbortSignal): Promise<ModelRow[]> {
    const online = hives.filter((h) => h.state === "online").map((h) => h.id);
    const lists = await Promise.all(
      online.map((id) =>
        this.api!.models(id, signal).then(
          (list) => list.map((m) => ({ ...m, hive_id: id })),
          () => this.state.models.filter((m) => m.hive_id === id),
        ),
      ),
    );
    return lists.flat();
  }

  /** Finished panes leave after a while, except the pinned one. */
  private prunePanes(now = Date.now()): void {
    for (const [id, pane] of this.panes) {
      if (pane.finishedAt && now - pane.finishedAt > this.opts.lingerMs && id !== this.state.pinned) this.panes.delete(id);
    }
  }

  private need(): QueenApi {
    if (!this.api) throw new RbeeError("NO_QUEEN", "this dashboard has no queen to talk to");
    return this.api;
  }

  /** Coalesces fast changes (tokens) into one snapshot per frame. */
  private schedule(): void {
    this.publishTimer ??= setTimeout(() => this.publish(), this.opts.publishMs);
  }

  private publish(): void {
    clearTimeout(this.publishTimer);
    this.publishTimer = undefined;
    this.snapshot = { ...this.state, panes: [...this.panes.values()].map(freezePane) };
    for (const listener of this.listeners) listener();
  }
}

function describe(err: unknown): string {
  if (err instanceof RbeeError) return `${err.code}: ${err.message}`;
  if (err instanceof Error && err.name === "TimeoutError") return "the queen did not answer in time";
  return err instanceof Error ? err.message : String(err);
}
