import { randomBytes } from "node:crypto";
import { execa } from "execa";
import { workerEnv } from "../hive/worker-env.ts";
import { selfCommand } from "../lifecycle/self-command.ts";
import type { Backend } from "./backends.ts";
import type { ProbeReport } from "./engine-probe-report.ts";

/** Starting llama.cpp takes ~0.5 s; on a loaded machine, or compiling Vulkan shaders, far more. */
const PROBE_TIMEOUT_MS = 60_000;

/**
 * Runs `rbee engine probe BACKEND` in a child process (with `env` added, e.g. a pinned
 * Vulkan device) and returns its report. A probe that crashes or hangs is a report too.
 */
export async function runProbe(backend: Backend, env: Record<string, string> = {}): Promise<ProbeReport> {
  const [cmd, ...pre] = selfCommand();
  const result = await execa(cmd, [...pre, "engine", "probe", backend], {
    stdin: "ignore",
    reject: false,
    timeout: PROBE_TIMEOUT_MS,
    // The probe needs no token of anyone's: the worker's environment, less secrets.
    env: { ...workerEnv(randomBytes(8).toString("hex")), ...env },
    extendEnv: false,
  });
  const line = result.stdout.split("\n").find((l) => l.startsWith("{"));
  if (line) {
    try {
      return JSON.parse(line) as ProbeReport;
    } catch {
      // fall through: a line cut short
    }
  }
  const how = result.timedOut ? `timed out after ${PROBE_TIMEOUT_MS / 1000} s` : result.signal ? `died of ${result.signal}` : `exited ${result.exitCode}`;
  const tail = result.stderr.trim().split("\n").slice(-2).join("; ");
  return { backend, loads: false, devices: [], error: { code: "ENGINE_CRASHED", message: `the ${backend} engine's probe ${how}${tail ? `: ${tail}` : ""}`, hint: "The driver or the engine aborts the process; CPU workers are not affected." } };
}
