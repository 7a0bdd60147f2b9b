/**
 * SSE fan-out: N concurrent job streams on loopback against the real job server.
 * Prints streams held, events delivered/lost, events/s, first-event p50/p99 and server RSS.
 * Target: 10,000 streams, 0 lost, < 300 MiB.
 * Run: BUN_CONFIG_MAX_HTTP_REQUESTS=20000 bun bench/sse-fanout.ts [N ...]  (Bun fetch allows 256 at once otherwise)
 */
import { readFileSync } from "node:fs";
import { readSse } from "../src/keeper/sse-reader.ts";

const EVENTS = 20;
const counts = process.argv.slice(2).map(Number).filter(Boolean);
const sizes = counts.length ? counts : [1_000, 10_000];

async function startServer() {
  const proc = Bun.spawn(["bun", "bench/fanout-server.ts"], { env: { ...process.env, EVENTS: String(EVENTS) }, stdout: "pipe", stderr: "inherit" });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let text = "";
  while (!/listening on (\S+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error("fan-out server exited");
    text += new TextDecoder().decode(value);
  }
  return { proc, url: text.match(/listening on (\S+)/)![1] };
}

const rssMiB = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)![1]) / 1024;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function run(n: number) {
  const { proc, url } = await startServer();
  try {
    const ids: string[] = [];
    for (let i = 0; i < n; i += 500) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(500, n - i) }, () =>
          fetch(`${url}/v1/jobs`, { method: "POST", body: '{"operation":"status"}' }).then((r) => r.json() as Promise<{ job_id: string }>),
        ),
      );
      ids.push(...batch.map((b) => b.job_id));
    }
    const responses: Response[] = [];
    for (let i = 0; i < n; i += 1000) {
      responses.push(...(await Promise.all(ids.slice(i, i + 1000).map((id) => fetch(`${url}/v1/jobs/${id}/stream`)))));
    }
    const rssHeld = rssMiB(proc.pid);
    const goAt = performance.now();
    await fetch(`${url}/bench/go`, { method: "POST" });
    const firsts: number[] = [];
    let delivered = 0;
    let ended = 0;
    await Promise.all(
      responses.map(async (res) => {
        let first = true;
        for await (const m of readSse(res.body!)) {
          if (m.event === "narration") {
            if (first) firsts.push(performance.now() - goAt);
            first = false;
            delivered++;
          } else if (m.data === "[DONE]") ended++;
        }
      }),
    );
    const seconds = (performance.now() - goAt) / 1000;
    const rssPeak = Math.max(rssHeld, rssMiB(proc.pid));
    firsts.sort((a, b) => a - b);
    const expected = n * EVENTS;
    console.log(
      [
        `streams ${n.toLocaleString()}`,
        `held ${responses.length.toLocaleString()}`,
        `events delivered ${delivered.toLocaleString()}/${expected.toLocaleString()} (lost ${expected - delivered}, streams ended ${ended})`,
        `${Math.round(delivered / seconds).toLocaleString()} events/s`,
        `first event p50 ${pct(firsts, 50).toFixed(1)} ms p99 ${pct(firsts, 99).toFixed(1)} ms`,
        `server RSS ${rssPeak.toFixed(0)} MiB`,
      ].join(" | "),
    );
  } finally {
    proc.kill();
    await proc.exited;
  }
}

process.env.BUN_CONFIG_MAX_HTTP_REQUESTS ??= "20000";
for (const n of sizes) await run(n);
