import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { runRbee, startRbeeDaemon, tempHome } from "../helpers/rbee-binary.ts";

/** Whether a process has memory it may both write and execute: where a JIT puts the code it writes. */
const hasJitMemory = (pid: number) => readFileSync(`/proc/${pid}/maps`, "utf8").includes(" rwxp ");

const pidsOf = (out: string, pattern: RegExp) => [...out.matchAll(pattern)].map((m) => Number(m[1]));

/**
 * `rbee serve` runs JavaScriptCore without its JIT (jitless-serve.ts): ~15 MiB less resident
 * memory for a daemon whose CPU goes to native code. It re-executes itself to get there, so
 * the process a service manager or the keeper started must be the one that serves.
 */
describe.runIf(process.platform === "linux")("compiled rbee serve: the daemon runs without a JIT, its workers with one", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function serve(env: Record<string, string> = {}) {
    const { home, cleanup } = tempHome("rbee-jitless-");
    cleanups.push(cleanup);
    const daemon = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home, ...env });
    cleanups.push(() => daemon.stop());
    return { daemon, env: { RBEE_HOME: home, RBEE_QUEEN_URL: daemon.url } };
  }

  it("the pid that was started serves, with no writable-executable memory, and its worker keeps the JIT", async () => {
    // Given a queen started as a service manager would start it
    const { daemon, env } = await serve();
    // Then the pid that was started (and answers) holds no memory a JIT writes code into:
    // it re-executed itself in place
    expect(hasJitMemory(daemon.proc.pid)).toBe(false);

    // When a request starts a worker (the standby, or a fresh one)
    expect((await runRbee(["model", "create-demo"], env, 60_000)).code).toBe(0);
    const infer = await runRbee(["infer", "--model", "demo-tiny", "--max-tokens", "4", "Once upon"], env, 60_000);
    expect(infer.code).toBe(0);
    // Then that worker compiles its per-token JavaScript (it has JIT memory), and the
    // daemon's own setting did not leak into its environment
    const [worker] = pidsOf(infer.stderr, /worker wrk-\w+ \(pid (\d+)\)/g);
    expect(worker).toBeGreaterThan(0);
    expect(hasJitMemory(worker!)).toBe(true);
    expect(readFileSync(`/proc/${worker}/environ`, "utf8")).not.toContain("BUN_JSC_useJIT");
    // and the queen, after relaying the tokens, still has none
    expect(hasJitMemory(daemon.proc.pid)).toBe(false);
  }, 120_000);

  it("BUN_JSC_useJIT set by the user is left alone: BUN_JSC_useJIT=1 keeps the JIT", async () => {
    const { daemon } = await serve({ BUN_JSC_useJIT: "1" });
    expect(hasJitMemory(daemon.proc.pid)).toBe(true);
  }, 60_000);
});
