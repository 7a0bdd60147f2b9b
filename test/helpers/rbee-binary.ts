import { afterAll, beforeAll } from "vitest";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { writeDemoModel } from "../../src/model/gguf-writer.ts";

/** The compiled binary under test (`bun run build` makes it; `bun run test` builds first). */
export const RBEE_BIN = resolve(import.meta.dirname, "../../dist/rbee");

export function requireBinary(): string {
  if (!existsSync(RBEE_BIN)) throw new Error(`${RBEE_BIN} is missing: run \`bun run build\` first`);
  return RBEE_BIN;
}

/**
 * The compiled binary alone, copied into a fresh folder with the demo model beside it (no
 * node_modules anywhere near: the engine must come out of the binary). `track` a spawned
 * process; `cleanup()` kills what still runs and removes the folder.
 */
export function binaryInTempDir(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  copyFileSync(requireBinary(), join(dir, "rbee"));
  chmodSync(join(dir, "rbee"), 0o755);
  writeDemoModel(join(dir, "demo.gguf"));
  const procs: ReturnType<typeof Bun.spawn>[] = [];
  return {
    dir,
    track<P extends ReturnType<typeof Bun.spawn>>(proc: P): P {
      procs.push(proc);
      return proc;
    },
    async cleanup(): Promise<void> {
      for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
      await Promise.all(procs.map((p) => p.exited));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh RBEE_HOME, removed by the returned cleanup. */
export function tempHome(prefix = "rbee-test-"): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), prefix));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the binary to completion (bounded by `timeoutMs`), in `cwd` when given. */
export async function runRbee(args: string[], env: Record<string, string>, timeoutMs = 30_000, cwd?: string): Promise<RunResult> {
  const proc = Bun.spawn([requireBinary(), ...args], { env: { ...process.env, ...env }, cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: timeoutMs });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/**
 * Starts a keeper command and resolves once its stderr shows `until` (e.g. a download
 * under way). Its stderr is read to the end, so it never writes into a closed pipe;
 * `finished()` gives the exit code and all of stderr.
 */
export async function startKeeper(args: string[], env: Record<string, string>, until: RegExp) {
  const proc = Bun.spawn([requireBinary(), ...args], { env: { ...process.env, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let stderr = "";
  const decoder = new TextDecoder();
  let reached!: () => void;
  const seen = new Promise<void>((r) => (reached = r));
  const drained = (async () => {
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) {
      stderr += decoder.decode(chunk);
      if (until.test(stderr)) reached();
    }
  })();
  await Promise.race([seen, proc.exited.then((code) => Promise.reject(new Error(`exited ${code} before ${until}:\n${stderr}`)))]);
  return { proc, finished: async () => ({ code: await proc.exited, stderr: (await drained, stderr) }) };
}

export interface Daemon {
  url: string;
  proc: ReturnType<typeof Bun.spawn>;
  output: () => string;
  /** Resolves when the daemon's output shows a line matching `pattern` (bounded). */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  stop: () => Promise<void>;
}

/**
 * Starts a long-running rbee (e.g. `serve --port 0`) and waits for its
 * "listening on http://…" line; stop() sends SIGTERM and waits, SIGKILL after 5 s.
 * `binary` runs another build (dist/rbee-linux-arm64 under qemu).
 */
export async function startRbeeDaemon(args: string[], env: Record<string, string>, timeoutMs = 30_000, binary = requireBinary()): Promise<Daemon> {
  const proc = Bun.spawn([binary, ...args], { env: { ...process.env, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let out = "";
  const decoder = new TextDecoder();
  const watchers = new Set<() => void>();
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" line within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) {
        out += decoder.decode(chunk);
        for (const w of watchers) w();
        const m = out.match(/listening on (http:\/\/\S+)/);
        if (m) { clearTimeout(timer); resolveUrl(m[1]); }
      }
    };
    void pump(proc.stdout as ReadableStream<Uint8Array>);
    void pump(proc.stderr as ReadableStream<Uint8Array>);
    void proc.exited.then((code) => { clearTimeout(timer); reject(new Error(`exited ${code} before listening:\n${out}`)); });
  });
  return {
    url,
    proc,
    output: () => out,
    waitFor: (pattern, waitMs = 15_000) =>
      new Promise<void>((resolveWait, rejectWait) => {
        const check = () => {
          if (!pattern.test(out)) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolveWait();
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          rejectWait(new Error(`no ${pattern} in output within ${waitMs} ms:\n${out}`));
        }, waitMs);
        watchers.add(check);
        check();
      }),
    stop: async () => {
      if (proc.exitCode !== null) return;
      proc.kill("SIGTERM");
      const killer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
      await proc.exited;
      clearTimeout(killer);
    },
  };
}

export interface SuiteQueen {
  queen: Daemon;
  home: string;
  /** RBEE_HOME and RBEE_QUEEN_URL for keeper commands against this queen. */
  env: Record<string, string>;
}

/**
 * A compiled `rbee serve` for one describe block: started in beforeAll (with a fresh RBEE_HOME,
 * and the demo model when asked), stopped and removed in afterAll. Read it inside the tests.
 */
export function compiledQueenForSuite(opts: { args?: string[]; demo?: boolean } = {}): SuiteQueen {
  const suite = {} as SuiteQueen;
  let cleanup = () => {};
  beforeAll(async () => {
    const home = tempHome();
    cleanup = home.cleanup;
    suite.home = home.home;
    suite.queen = await startRbeeDaemon(["serve", "--port", "0", ...(opts.args ?? [])], { RBEE_HOME: home.home });
    suite.env = { RBEE_HOME: home.home, RBEE_QUEEN_URL: suite.queen.url };
    if (opts.demo) {
      const made = await runRbee(["model", "create-demo"], suite.env, 60_000);
      if (made.code !== 0) throw new Error(`create-demo failed: ${made.stderr}`);
    }
  }, 90_000);
  afterAll(async () => {
    await suite.queen?.stop();
    cleanup();
  });
  return suite;
}
