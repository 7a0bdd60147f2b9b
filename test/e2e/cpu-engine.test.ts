import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DIST, requireOrSkip } from "../helpers/platform-binaries.ts";
import { binaryInTempDir } from "../helpers/rbee-binary.ts";
import { collect, info, infer, until } from "../helpers/worker-harness.ts";
import { workerEnv } from "../../src/hive/worker-env.ts";

/** Whether dist/rbee was built after `bun run build:engine` (build.ts records it beside the archive). */
function packedCpuBuild(): string | undefined {
  const manifest = join(DIST, "engine", "linux-x64", "engine.json");
  return existsSync(manifest) ? JSON.parse(readFileSync(manifest, "utf8")).cpuBuild : undefined;
}

/** CPU time a process has used, in clock ticks (utime + stime of /proc/PID/stat, all threads). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** The names of a process's threads (a thread starts with its creator's name). */
const threadNames = (pid: number) => readdirSync(`/proc/${pid}/task`).map((t) => readFileSync(`/proc/${pid}/task/${t}/comm`, "utf8").trim());

/**
 * The compiled binary's CPU engine: the OpenMP build when rbee was built with it, the prebuilt
 * one when it is absent. Each worker runs in a copy of the binary with a fresh RBEE_HOME.
 */
describe.runIf(process.platform === "linux" && process.arch === "x64")("compiled rbee: the CPU engine", () => {
  let bin: ReturnType<typeof binaryInTempDir>;
  let dir: string;
  beforeEach(() => {
    bin = binaryInTempDir("rbee-cpu-engine-");
    dir = bin.dir;
  });
  afterEach(() => bin.cleanup());

  // The environment a hive starts its workers with.
  const env = (extra: Record<string, string> = {}) => ({ ...workerEnv(""), RBEE_HOME: join(dir, "home"), ...extra });

  /** A worker on the demo model at 2 threads (OpenMP then runs a team of 2), ready. */
  async function serve(extra: Record<string, string> = {}) {
    const proc = bin.track(Bun.spawn([join(dir, "rbee"), "worker", "serve", "--model", "demo.gguf", "--port", "0", "--threads", "2"], { cwd: dir, env: env(extra), stdin: "ignore", stdout: "pipe", stderr: "ignore" }));
    let out = "";
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
      out += new TextDecoder().decode(chunk);
      if (out.includes("\n")) break;
    }
    const ready = JSON.parse(out.split("\n")[0]!);
    expect(ready).toMatchObject({ event: "ready" });
    return { proc, url: `http://127.0.0.1:${ready.port}` };
  }

  async function generates(url: string): Promise<void> {
    const events = await collect(await infer(url, { prompt: "the queen of the hive", max_tokens: 24 }));
    expect(events.at(-1)!.data.tokens).toBe(24);
  }

  it("given rbee built with the OpenMP engine, a worker runs on it, generates, and burns no core once idle", async (ctx) => {
    requireOrSkip(ctx, packedCpuBuild() === "openmp" ? undefined : "dist/rbee carries no OpenMP CPU engine: run `bun run build:engine`");
    // when a worker starts with no engine choice made
    const worker = await serve();
    // then it runs on the OpenMP build and generates
    expect((await info(worker.url)).cpu_engine).toBe("openmp");
    await generates(worker.url);
    await generates(worker.url);
    // and it computes with one OpenMP team of 2 threads, as llama-server does: its native calls
    // all run on one of Bun's 2 pool threads, which started the team's other thread (named
    // after it). Decodes on both pool threads would make two teams, 4 threads on 2 threads' work.
    expect(threadNames(worker.proc.pid).filter((n) => n.startsWith("Bun Pool"))).toHaveLength(3);
    // and after the last request its OpenMP threads stop spinning (OMP_WAIT_POLICY=active
    // spins between tokens): the CPU ticks settle, then a 2 s window costs under 5 % of a core
    let last = cpuTicks(worker.proc.pid);
    let still = 0;
    await until(() => {
      const now = cpuTicks(worker.proc.pid);
      still = now === last ? still + 1 : 0;
      last = now;
      return still >= 20;
    }, 15_000);
    const from = cpuTicks(worker.proc.pid);
    const started = performance.now();
    await until(() => performance.now() - started >= 2_000, 5_000);
    expect(cpuTicks(worker.proc.pid) - from).toBeLessThanOrEqual(10);
    // and `rbee engine probe cpu` (what `rbee engine list` shows) names the OpenMP build
    const probe = Bun.spawnSync([join(dir, "rbee"), "engine", "probe", "cpu"], { env: env(), stdout: "pipe", stderr: "pipe" });
    expect(JSON.parse(probe.stdout.toString())).toMatchObject({ backend: "cpu", loads: true, build: "openmp" });
  }, 120_000);

  it("given the OpenMP engine absent (or turned off), the worker falls back to the prebuilt one and generates", async () => {
    // given the engine unpacked, without any OpenMP build in it
    const probe = Bun.spawnSync([join(dir, "rbee"), "engine", "probe", "cpu"], { env: env(), stdout: "pipe", stderr: "pipe" });
    expect(probe.exitCode).toBe(0);
    const [unpacked] = readdirSync(join(dir, "home", "cache", "engine")).filter((d) => !d.startsWith("."));
    rmSync(join(dir, "home", "cache", "engine", unpacked!, "node_modules", "node-llama-cpp", "llama", "localBuilds"), { recursive: true, force: true });
    // when a worker starts, then it runs on the prebuilt engine and generates
    const worker = await serve();
    expect((await info(worker.url)).cpu_engine).toBe("prebuilt");
    await generates(worker.url);
    worker.proc.kill("SIGTERM");
    await worker.proc.exited;
    // and RBEE_CPU_ENGINE=prebuilt chooses it in a fresh home too, whatever rbee carries
    rmSync(join(dir, "home"), { recursive: true, force: true });
    const chosen = await serve({ RBEE_CPU_ENGINE: "prebuilt" });
    expect((await info(chosen.url)).cpu_engine).toBe("prebuilt");
    await generates(chosen.url);
  }, 120_000);
});
