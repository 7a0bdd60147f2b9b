import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DaemonClient, type JobOutcome } from "../../src/keeper/daemon-client.ts";
import type { PoolOptions } from "../../src/hive/worker-pool.ts";
import type { JobEvent } from "../../src/protocol/events.ts";
import type { Operation } from "../../src/protocol/operations.ts";
import { startQueen, type RunningQueen } from "../../src/queen/start-queen.ts";
import type { RestartPolicy } from "../../src/hive/restart-policy.ts";
import type { StallTimeouts } from "../../src/config/timeouts.ts";
import type { SchedulerOptions } from "../../src/queen/infer-scheduler.ts";
import { closeCatalogs } from "../../src/model/catalog.ts";
import { setLogWriter } from "../../src/narration/log-sink.ts";
import { startHiveDaemon, type RunningHive } from "../../src/hive/start-hive.ts";

export interface JobRun {
  jobId: string;
  events: JobEvent[];
  outcome: JobOutcome;
  result: unknown;
  tokens: string;
  lines: string[];
}

export interface TestQueen {
  queen: RunningQueen;
  client: DaemonClient;
  home: string;
  run: (op: Record<string, unknown>) => Promise<JobRun>;
  stop: () => Promise<void>;
}

/**
 * A real queen (with its embedded hive) in this process, on a free loopback port, with a
 * fresh RBEE_HOME. Workers it spawns are real `rbee worker serve` processes.
 */
export async function startTestQueen(opts: { restartPolicy?: RestartPolicy; scheduler?: Partial<SchedulerOptions>; timeouts?: Partial<StallTimeouts>; corsOrigins?: string[]; pool?: PoolOptions } = {}): Promise<TestQueen> {
  const home = mkdtempSync(join(tmpdir(), "rbee-queen-"));
  const previousHome = process.env.RBEE_HOME;
  process.env.RBEE_HOME = home;
  const queen = startQueen({ port: 0, bind: "127.0.0.1", restartPolicy: opts.restartPolicy, scheduler: opts.scheduler, timeouts: opts.timeouts, corsOrigins: opts.corsOrigins ?? [], pool: opts.pool });
  const client = new DaemonClient(queen.url);
  const run = async (op: Record<string, unknown>): Promise<JobRun> => {
    const { job_id } = await client.submit(op as Operation);
    const events: JobEvent[] = [];
    const outcome = await client.stream(job_id, { onEvent: (e) => events.push(e) });
    const result = events.find((e) => e.kind === "result");
    return {
      jobId: job_id,
      events,
      outcome,
      result: result?.kind === "result" ? result.result : undefined,
      tokens: events.map((e) => (e.kind === "token" ? e.text : "")).join(""),
      lines: events.flatMap((e) => (e.kind === "narration" ? [e.human] : [])),
    };
  };
  return {
    queen,
    client,
    home,
    run,
    stop: async () => {
      await queen.stop();
      closeCatalogs();
      if (previousHome === undefined) delete process.env.RBEE_HOME;
      else process.env.RBEE_HOME = previousHome;
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value (bounded); for states that change in the background. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Resolves with the first daemon log line (narration outside any job, e.g. a worker's
 * restart) that matches; the wait is on the event itself, bounded by `timeoutMs`.
 */
export function waitForLogLine(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      setLogWriter(undefined);
      reject(new Error(`no log line matching ${pattern} within ${timeoutMs} ms`));
    }, timeoutMs);
    setLogWriter((line) => {
      if (!pattern.test(line)) return;
      clearTimeout(timer);
      setLogWriter(undefined);
      resolve(line);
    });
  });
}

/**
 * A separate hive daemon in this process, reporting to `t`'s queen, with its own RBEE_HOME (as on
 * another machine); resolves once the queen lists it online. `stop` stops it and removes its home.
 */
export async function startSideHive(t: TestQueen, hiveId: string): Promise<{ hive: RunningHive; home: string; stop: () => Promise<void> }> {
  const home = mkdtempSync(join(tmpdir(), "rbee-hive-"));
  const queenHome = process.env.RBEE_HOME;
  process.env.RBEE_HOME = home;
  let hive: RunningHive;
  try {
    hive = startHiveDaemon({ port: 0, bind: "127.0.0.1", hiveId, queenUrl: t.queen.url });
  } finally {
    process.env.RBEE_HOME = queenHome;
  }
  await eventually(() => t.queen.hives.get(hiveId)?.state === "online");
  return {
    hive,
    home,
    stop: async () => {
      await hive.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
