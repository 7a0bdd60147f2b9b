import { AsyncResource } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { execa, type ResultPromise } from "execa";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import { selfCommand } from "../lifecycle/self-command.ts";
import { audit } from "../security/audit-log.ts";
import { RestartTracker, shouldRestart, type RestartMode, type RestartPolicy } from "./restart-policy.ts";
import { workerEnv } from "./worker-env.ts";
import { deviceEnv, parseDevice } from "../engine/backends.ts";
import { describeOffload, offloadOf, type Offload } from "../engine/offload.ts";
import type { StandbyWorker } from "./standby-worker.ts";
import type { WorkerInfo, WorkerSpec, WorkerState } from "./worker-spec.ts";

export type { WorkerInfo, WorkerSpec, WorkerState } from "./worker-spec.ts";

/** How long a model may take to load; RBEE_WORKER_LOAD_TIMEOUT_MS raises it for slow machines (a Pi's SD card, emulation). */
const LOAD_TIMEOUT_MS = Number(process.env.RBEE_WORKER_LOAD_TIMEOUT_MS) || 120_000;
const STOP_GRACE_MS = 5_000;

/**
 * One supervised `rbee worker serve` process: spawn, wait for its ready line, restart
 * it with backoff when it crashes, open the circuit after too many crashes, stop it by
 * pid (SIGTERM, then SIGKILL after 5 s). Its output becomes narration.
 */
export class WorkerProcess {
  state: WorkerState = "starting";
  busy = 0;
  pid?: number;
  port?: number;
  loadMs?: number;
  offload?: Offload;
  /** What the loaded worker reported: its context per slot and chat wrapper. */
  loaded?: { context_size?: number; chat_template?: string };
  error?: string;
  private startedAt?: number;
  /** When its last request ended (or it became ready): the clock of keep-alive and LRU eviction. */
  lastUsedAt = Date.now();
  /** When the keep-alive unloads it, if it is idle and has a keep-alive. */
  unloadAt?: number;
  /** The keep-alive in force: its own, or the last request's (Ollama's keep_alive). */
  keepAliveMs?: number;
  private child?: ResultPromise;
  /** The bearer token this worker requires. */
  token = "";
  private stopping = false;
  private exited = false;
  private readonly tracker: RestartTracker;
  private readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private restartTimer?: ReturnType<typeof setTimeout>;
  /** Set when the hive killed it for sending nothing: its exit is a failure, whatever the code. */
  private hung = false;

  constructor(
    readonly spec: WorkerSpec,
    policy?: RestartPolicy,
    /** A CPU worker takes the hive's standby process (engine already started) when one is ready. */
    private readonly standby?: StandbyWorker,
  ) {
    this.tracker = new RestartTracker(policy);
  }

  /** Tokens per slot: what the loaded worker reported, else what it was asked for. */
  get contextSize(): number | undefined {
    return this.loaded?.context_size ?? this.spec.contextSize;
  }

  get url(): string | undefined {
    return this.port ? `http://127.0.0.1:${this.port}` : undefined;
  }

  /** Starts the process and resolves when the model is loaded (rejects when it cannot be). */
  async start(): Promise<void> {
    const { workerId, modelId, modelPath, device, slots, gpuLayers } = this.spec;
    this.state = "starting";
    const args = ["worker", "serve", "--model", modelPath, "--model-id", modelId, "--device", device, "--port", "0", "--slots", String(slots), ...(gpuLayers !== undefined ? ["--gpu-layers", String(gpuLayers)] : []), ...(this.spec.contextSize ? ["--ctx", String(this.spec.contextSize)] : []), ...(this.spec.chatTemplate ? ["--chat-template", this.spec.chatTemplate] : [])];
    // Each worker gets its own token: only its hive can talk to it.
    this.token = randomBytes(16).toString("hex");
    // extendEnv: false, or execa would add back what workerEnv withholds.
    const warm = parseDevice(device).backend === "cpu" ? this.standby?.take(args.slice(2), this.token) : undefined;
    const child = warm ?? execa(selfCommand()[0], [...selfCommand().slice(1), ...args], { stdin: "ignore", buffer: false, reject: false, cleanup: true, env: { ...workerEnv(this.token), ...deviceEnv(parseDevice(device)) }, extendEnv: false });
    this.child = child;
    this.exited = false;
    this.hung = false;
    this.pid = child.pid;
    this.startedAt = Date.now();
    audit(this.tracker.count ? "worker_restart" : "worker_spawn", { worker_id: workerId, model: modelId, device, pid: child.pid });
    narrate("worker_spawn", `${warm ? "took the standby worker" : "spawned worker"} ${workerId} (pid ${child.pid}) for ${modelId} on ${device}${warm ? " (engine already started)" : ""}`, { worker_id: workerId, pid: child.pid, standby: Boolean(warm) });
    this.state = "loading";
    narrate("worker_loading", `worker ${workerId} is loading ${modelId}`, { worker_id: workerId });

    const ready = new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    child.stdout?.setEncoding("utf8");
    let pending = "";
    // Bound here: a standby's pipes were opened outside this job, and its lines belong to the job that took it.
    child.stdout?.on("data", AsyncResource.bind((chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        this.onStdoutLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    }));
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", AsyncResource.bind((chunk: string) => {
      for (const line of chunk.split("\n")) if (line.trim()) narrate("worker_output", line.trim(), { level: "debug", worker_id: workerId });
    }));
    void child.then((result) => this.onExit(child, result.exitCode, result.signal));

    const timer = setTimeout(() => this.settleReady(new RbeeError("WORKER_LOAD_TIMEOUT", `worker ${workerId} did not load ${modelId} within ${LOAD_TIMEOUT_MS / 1000} s`)), LOAD_TIMEOUT_MS);
    try {
      await ready;
    } finally {
      clearTimeout(timer);
    }
  }

  private onStdoutLine(line: string): void {
    let msg: { event?: string; port?: number; load_ms?: number; error?: { code: string; message: string; hint?: string } } & Record<string, unknown>;
    try {
      msg = JSON.parse(line);
    } catch {
      if (line.trim()) narrate("worker_output", line.trim(), { level: "debug", worker_id: this.spec.workerId });
      return;
    }
    if (msg.event === "ready" && msg.port) {
      this.port = msg.port;
      this.loadMs = msg.load_ms;
      this.offload = offloadOf(msg);
      this.loaded = { context_size: typeof msg.context_size === "number" ? msg.context_size : undefined, chat_template: typeof msg.chat_template === "string" ? msg.chat_template : undefined };
      this.state = "ready";
      this.error = undefined;
      this.lastUsedAt = Date.now();
      const where = this.offload ? `: ${describeOffload(this.offload)}` : "";
      narrate("worker_ready", `worker ${this.spec.workerId} ready on port ${msg.port} (loaded in ${msg.load_ms} ms)${where}`, { worker_id: this.spec.workerId, port: msg.port, load_ms: msg.load_ms, ...this.offload });
      this.settleReady();
    } else if (msg.event === "failed" && msg.error) {
      this.settleReady(new RbeeError(msg.error.code, msg.error.message, msg.error.hint, 422));
    }
  }

  private settleReady(error?: Error): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) (error ? w.reject(error) : w.resolve());
    if (error && waiters.length && this.state !== "ready") {
      // A worker that never loaded is not restarted: the spawn fails with the reason.
      this.error = error.message;
      this.state = "failed";
      this.stopping = true;
      if (!this.exited) this.child?.kill("SIGKILL");
    }
  }

  private onExit(child: ResultPromise, code: number | undefined, signal: string | undefined): void {
    if (child !== this.child) return;
    this.exited = true;
    this.port = undefined;
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    if (this.stopping) {
      this.settleReady(new RbeeError("WORKER_EXITED", `worker ${this.spec.workerId} exited (${how}) before it was ready`));
      if (this.state !== "failed") this.state = "stopped";
      return;
    }
    const wasReady = this.state === "ready" || this.hung;
    this.settleReady(new RbeeError("WORKER_EXITED", `worker ${this.spec.workerId} exited (${how}) while loading`));
    if (!wasReady) return;
    const mode = this.restartMode;
    const failed = this.hung || signal !== undefined || code !== 0;
    if (!shouldRestart(mode, failed)) {
      audit("worker_crash", { worker_id: this.spec.workerId, how, restart: false });
      this.state = failed ? "failed" : "stopped";
      this.error = failed ? `${this.hung ? "hung" : `exited (${how})`}; restart policy ${mode}: not restarting` : undefined;
      narrate("worker_not_restarted", `worker ${this.spec.workerId} exited (${how}); restart policy ${mode}: not restarting it`, { level: failed ? "error" : "info", worker_id: this.spec.workerId });
      return;
    }
    const decision = this.tracker.onCrash();
    audit("worker_crash", { worker_id: this.spec.workerId, how, restart: decision.restart });
    if (!decision.restart) {
      this.state = "failed";
      this.error = `circuit open: ${decision.reason}; not restarting`;
      narrate("worker_circuit_open", `worker ${this.spec.workerId} ${decision.reason}: circuit open, not restarting it`, { level: "error", worker_id: this.spec.workerId });
      return;
    }
    this.state = "restarting";
    narrate("worker_crashed", `worker ${this.spec.workerId} crashed (${how}); restart ${decision.attempt} in ${decision.delayMs / 1000} s`, { level: "warn", worker_id: this.spec.workerId, attempt: decision.attempt });
    this.restartTimer = setTimeout(() => {
      this.start().catch((err) => narrate("worker_restart_failed", `worker ${this.spec.workerId} did not come back: ${(err as Error).message}`, { level: "error" }));
    }, decision.delayMs);
  }

  /** Stops the process by its pid: SIGTERM, then SIGKILL after the grace period. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || this.exited) {
      if (this.state !== "failed") this.state = "stopped";
      return;
    }
    child.kill("SIGTERM");
    const killer = setTimeout(() => {
      narrate("worker_kill", `worker ${this.spec.workerId} ignored SIGTERM for ${STOP_GRACE_MS / 1000} s: killing it (pid ${child.pid}, SIGKILL)`, { level: "warn", worker_id: this.spec.workerId, pid: child.pid, signal: "SIGKILL" });
      child.kill("SIGKILL");
      audit("worker_killed", { worker_id: this.spec.workerId, pid: child.pid, signal: "SIGKILL", after_ms: STOP_GRACE_MS });
    }, STOP_GRACE_MS);
    await child.catch(() => {});
    clearTimeout(killer);
    this.state = "stopped";
    audit("worker_stop", { worker_id: this.spec.workerId });
    narrate("worker_stopped", `worker ${this.spec.workerId} stopped`, { worker_id: this.spec.workerId });
  }

  /**
   * Called when a request got nothing from this worker for `stallMs`: it is hung (stopped,
   * deadlocked, stuck in native code). It leaves `ready` at once, so nothing more is sent to
   * it, and is killed; its restart policy decides whether it comes back.
   */
  declareHung(stallMs: number): void {
    if (this.state !== "ready" || this.exited || !this.child) return;
    this.hung = true;
    this.state = "restarting";
    this.error = `hung: sent nothing for ${stallMs / 1000} s`;
    audit("worker_hung", { worker_id: this.spec.workerId, pid: this.pid, stall_ms: stallMs });
    narrate("worker_hung", `worker ${this.spec.workerId} sent nothing for ${stallMs / 1000} s: declared hung, killing it (pid ${this.pid}, SIGKILL)`, {
      level: "error",
      worker_id: this.spec.workerId,
      pid: this.pid,
      signal: "SIGKILL",
    });
    this.child.kill("SIGKILL");
  }

  get restartMode(): RestartMode {
    return this.spec.restart ?? "on-failure";
  }

  get restarts(): number {
    return this.tracker.count;
  }

  info(): WorkerInfo {
    return {
      worker_id: this.spec.workerId,
      hive_id: this.spec.hiveId,
      model: this.spec.modelId,
      device: this.spec.device,
      state: this.state,
      slots: this.spec.slots,
      busy: this.busy,
      restarts: this.restarts,
      restart_policy: this.restartMode,
      ...(this.pid && this.state !== "stopped" ? { pid: this.pid, rss_bytes: rssOf(this.pid) } : {}),
      ...(this.port ? { port: this.port, url: this.url } : {}),
      ...(this.startedAt && this.state !== "stopped" ? { uptime_s: Math.round((Date.now() - this.startedAt) / 1000) } : {}),
      ...(this.loadMs !== undefined ? { load_ms: this.loadMs } : {}),
      ...(this.contextSize ? { context_size: this.contextSize } : {}),
      ...(this.loaded?.chat_template ? { chat_template: this.loaded.chat_template } : {}),
      ...this.offload,
      ...(this.error ? { error: this.error } : {}),
      ...this.idleInfo(),
    };
  }

  private idleInfo(): Partial<WorkerInfo> {
    const now = Date.now();
    const keep = this.keepAliveMs ?? this.spec.keepAliveMs ?? -1;
    const idle = this.state === "ready" && this.busy === 0;
    return {
      on_demand: this.spec.onDemand === true,
      keep_alive_s: keep < 0 ? -1 : keep / 1000,
      ...(idle ? { idle_s: Math.floor((now - this.lastUsedAt) / 1000) } : {}),
      ...(idle && this.unloadAt !== undefined ? { unload_in_s: Math.max(0, Math.ceil((this.unloadAt - now) / 1000)) } : {}),
    };
  }
}

function rssOf(pid: number): number | undefined {
  try {
    const kb = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/);
    return kb ? Number(kb[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
