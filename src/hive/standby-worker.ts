import { execa, type ResultPromise } from "execa";
import { narrate } from "../narration/narrate.ts";
import { selfCommand } from "../lifecycle/self-command.ts";
import { workerEnv } from "./worker-env.ts";

/** Standbys that die before they are used, in a row, before the hive stops keeping one. */
const MAX_FAILURES = 3;

/**
 * One CPU worker process kept ready with its engine started (`rbee worker standby`), so a
 * worker started on demand skips importing node-llama-cpp, unpacking the engine and its binary
 * self-test: about a second of every cold start, several on a busy machine. The next spawn on
 * the CPU takes it; a new one starts once the hive is idle (WorkerPool.refillStandby), so the
 * two never compete for the cores while a model loads or a first token is computed. It costs
 * an idle process (~100 MiB) and no CPU while it waits.
 */
export class StandbyWorker {
  private child?: ResultPromise;
  private ready = false;
  private failures = 0;
  private stopped = false;
  private drain?: (chunk: string) => void;

  /** What /v1/info reports: whether the next CPU spawn finds its engine already started. */
  get state(): "ready" | "starting" | "none" {
    return this.ready ? "ready" : this.child ? "starting" : "none";
  }

  /** Starts one standby if none is there (and the hive is not stopping). */
  fill(): void {
    if (this.child || this.stopped || this.failures >= MAX_FAILURES) return;
    const [cmd, ...pre] = selfCommand();
    // No token yet: the worker's own token arrives with its orders.
    const child = execa(cmd!, [...pre, "worker", "standby"], { stdin: "pipe", buffer: false, reject: false, cleanup: true, env: workerEnv(""), extendEnv: false });
    this.child = child;
    this.ready = false;
    const startedAt = Date.now();
    narrate("standby_start", `starting a standby worker (pid ${child.pid}): its engine starts now, for the next spawn`, { pid: child.pid });
    child.stdout?.setEncoding("utf8");
    const onData = (chunk: string) => {
      if (!chunk.includes('"event":"standby"')) return;
      this.ready = true;
      this.failures = 0;
      narrate("standby_ready", `a standby worker (pid ${child.pid}) is ready: its engine started in ${Date.now() - startedAt} ms`, { pid: child.pid });
      child.stdout?.off("data", onData);
    };
    child.stdout?.on("data", onData);
    // Drained while it waits (a full pipe would block it); the worker that takes it reads its own.
    child.stderr?.setEncoding("utf8");
    this.drain = (chunk: string) => {
      for (const line of chunk.split("\n")) if (line.trim()) narrate("standby_output", line.trim(), { level: "debug" });
    };
    child.stderr?.on("data", this.drain);
    void child.then((result) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.ready = false;
      if (this.stopped) return;
      this.failures++;
      narrate("standby_exited", `the standby worker exited (${result.signal ?? `exit code ${result.exitCode}`})${this.failures >= MAX_FAILURES ? "; not keeping one any more" : ""}`, { level: "warn" });
      this.fill();
    });
  }

  /**
   * The ready standby for a CPU worker, handed over with its orders (it becomes
   * `rbee worker serve ARGV` with this token), or undefined when none is ready.
   */
  take(argv: string[], token: string): ResultPromise | undefined {
    const child = this.child;
    if (!child || !this.ready) return undefined;
    this.child = undefined;
    this.ready = false;
    if (this.drain) child.stderr?.off("data", this.drain);
    child.stdin?.end(`${JSON.stringify({ argv, token })}\n`);
    return child;
  }

  stop(): void {
    this.stopped = true;
    const child = this.child;
    this.child = undefined;
    // Closing stdin without orders ends it cleanly; SIGTERM in case it is still starting.
    child?.stdin?.end();
    child?.kill("SIGTERM");
  }
}
