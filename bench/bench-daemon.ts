import { resolve } from "node:path";

export interface BenchDaemon {
  url: string;
  proc: ReturnType<typeof Bun.spawn>;
  stop: () => void;
}

const BIN = resolve(import.meta.dirname, "../dist/rbee");

/** Starts the compiled rbee and waits for the line that tells its port. */
export async function spawnDaemon(args: string[], env: Record<string, string>, ready = /listening on http:\/\/127\.0\.0\.1:(\d+)/): Promise<BenchDaemon> {
  const proc = Bun.spawn([BIN, ...args], { env: { ...process.env, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let out = "";
  const decoder = new TextDecoder();
  const port = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`not ready: ${args.join(" ")}\n${out}`)), 30_000);
    const pump = async (s: ReadableStream<Uint8Array>) => {
      for await (const c of s) {
        out += decoder.decode(c);
        const m = out.match(ready);
        if (m) {
          clearTimeout(timer);
          ok(m[1]);
        }
      }
    };
    void pump(proc.stdout as ReadableStream<Uint8Array>);
    void pump(proc.stderr as ReadableStream<Uint8Array>);
  });
  return { url: `http://127.0.0.1:${port}`, proc, stop: () => proc.kill("SIGTERM") };
}
