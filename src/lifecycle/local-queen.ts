import { spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, closeSync } from "node:fs";
import { join } from "node:path";
import { rbeePaths } from "../config/paths.ts";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import { PidFile, type DaemonHandle, type DaemonStatus } from "./daemon-types.ts";
import { isHealthy, pidAlive, pollUntil, waitHealthy } from "./health.ts";
import { selfCommand } from "./self-command.ts";

const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;

/**
 * A background queen's pid and log files, one pair per port: `queen-7833.pid`. Stopping the
 * queen on one port never signals a queen another port's file names.
 */
export const queenFiles = (url: string) => {
  const state = rbeePaths().state;
  const port = new URL(url).port || "80";
  return { dir: state, pid: join(state, `queen-${port}.pid`), log: join(state, `queen-${port}.log`) };
};

export function readPidFile(path: string): PidFile | undefined {
  try {
    return PidFile.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch {
    return undefined;
  }
}

function writePidFile(record: PidFile): void {
  const { pid } = queenFiles(record.url);
  writeFileSync(`${pid}.tmp`, JSON.stringify(record));
  renameSync(`${pid}.tmp`, pid);
}

/**
 * Ensures a queen answers at `url`: one already running is found and left alone; otherwise
 * a background `rbee serve` is started (log and pid file under the state folder) and
 * health is polled with backoff until it answers.
 */
export async function ensureLocalQueen(url: string): Promise<DaemonHandle> {
  const files = queenFiles(url);
  if (await isHealthy(url)) return { name: "queen", base_url: url, pid: readPidFile(files.pid)?.pid, started_by_us: false };
  const port = new URL(url).port || "80";
  const host = new URL(url).hostname;
  mkdirSync(files.dir, { recursive: true });
  const log = openSync(files.log, "a");
  const [cmd, ...args] = selfCommand();
  const child = spawn(cmd, [...args, "serve", "--port", port, "--bind", host], { detached: true, stdio: ["ignore", log, log], env: process.env });
  closeSync(log);
  child.unref();
  let exited = false;
  child.once("exit", () => (exited = true));
  narrate("queen_starting", `starting a queen in the background on ${url} (pid ${child.pid}, log ${files.log})`);
  if (!(await waitHealthy(url, START_TIMEOUT_MS, () => !exited))) {
    if (!exited) child.kill("SIGKILL");
    throw new RbeeError("QUEEN_START_FAILED", `the queen did not answer on ${url} within ${START_TIMEOUT_MS / 1000} s`, `See its log: ${files.log}`, 500);
  }
  writePidFile({ pid: child.pid!, url, started_at: Date.now() });
  narrate("queen_started", `queen is up on ${url}; it keeps running`);
  return { name: "queen", base_url: url, pid: child.pid, started_by_us: true };
}

/** Stops the background queen: POST /v1/shutdown, then SIGTERM, then SIGKILL — by the recorded pid. */
export async function stopLocalQueen(url: string): Promise<{ stopped: boolean; how: string }> {
  const files = queenFiles(url);
  const record = readPidFile(files.pid);
  const pid = record?.pid;
  const answering = await isHealthy(url);
  if (!answering && (!pid || !pidAlive(pid))) {
    if (record) rmSync(files.pid, { force: true });
    return { stopped: false, how: record ? "not running (removed a stale pid file)" : "not running" };
  }
  if (answering) await fetch(`${url}/v1/shutdown`, { method: "POST", signal: AbortSignal.timeout(2_000) }).catch(() => {});
  if (!pid) {
    // Found running but not started by us (no pid file): the shutdown request is all we may do.
    return { stopped: await pollUntil(() => isHealthy(url).then((h) => !h), STOP_GRACE_MS), how: "shutdown request (no pid file)" };
  }
  let how = "shutdown request";
  if (!(await pollUntil(() => !pidAlive(pid), STOP_GRACE_MS))) {
    how = "SIGTERM";
    process.kill(pid, "SIGTERM");
    if (!(await pollUntil(() => !pidAlive(pid), STOP_GRACE_MS))) {
      how = "SIGKILL";
      process.kill(pid, "SIGKILL");
      await pollUntil(() => !pidAlive(pid), 2_000);
    }
  }
  rmSync(files.pid, { force: true });
  return { stopped: true, how };
}

export async function localQueenStatus(url: string): Promise<DaemonStatus> {
  const files = queenFiles(url);
  const record = readPidFile(files.pid);
  try {
    const info = (await (await fetch(`${url}/v1/info`, { signal: AbortSignal.timeout(1_000) })).json()) as { version: string; pid: number; started_at: number };
    return { name: "queen", running: true, base_url: url, pid: info.pid, version: info.version, uptime_s: Math.round((Date.now() - info.started_at) / 1000), log_file: files.log };
  } catch {
    const stale = !!record && !pidAlive(record.pid);
    return { name: "queen", running: false, base_url: url, ...(record ? { pid: record.pid } : {}), ...(stale ? { stale_pid_file: true } : {}) };
  }
}
