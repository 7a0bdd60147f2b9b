/**
 * rbee against llama-server on the same GGUF, the same threads, interleaved runs. llama-server
 * is built once from the llama.cpp that node-llama-cpp ships (bench/llama-server.ts), so both
 * sides run one llama.cpp commit. Every figure is printed as a ratio rbee / llama-server.
 * llama-server maps the very file rbee's worker maps (rbee's copy in its model store): on this
 * machine two byte-identical copies of the bench model decoded up to 10 % apart (llama-server
 * spent 25.0 vs 31.1 ms of CPU per token on two copies at 1 thread), by where their cached pages lay.
 *
 *   bun run build && bun bench/vs-llama-server.ts [--tokens 128] [--runs 9] [--dim 1024] [--layers 16]
 *
 * Rows: single-stream decode through the queen at 1 and 2 threads (and the thread count rbee
 * picks by itself); 2 and 4 concurrent streams, aggregate (llama-server --parallel N); the second
 * turn of a conversation (TTFT, llama-server with its prompt cache); on-demand cold start (no
 * worker yet → first token vs llama-server's start + load + first token); RSS.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { readSse } from "../src/keeper/sse-reader.ts";
import { writeDemoModel } from "../src/model/gguf-writer.ts";
import { ensureLlamaServer, llamaServerEnv } from "./llama-server.ts";
import { freePort } from "../test/helpers/free-port.ts";

const { values: args } = parseArgs({
  options: {
    tokens: { type: "string", default: "128" },
    runs: { type: "string", default: "9" },
    dim: { type: "string", default: "1024" },
    layers: { type: "string", default: "16" },
  },
});
const TOKENS = Number(args.tokens);
const RUNS = Number(args.runs);
const CTX = 2048;
const PROMPT = "the queen of the hive asked every worker bee to bring honey";
const BIN = resolve(import.meta.dir, "../dist/rbee");

interface Sample { ttftMs: number; tokPerS: number; tokens: number; startMs: number; endMs: number }
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const procs: Subprocess[] = [];

/** The process behind each server URL: a connection error says whether it is still alive. */
const serverProcs = new Map<string, Subprocess>();

/**
 * Sends a request; a connection reset before any answer is retried once on a new connection,
 * and said, when the server's process is alive (the pooled connection died, not the server).
 * Two runs met one at the start of a section, with no crash logged; which side reset is printed.
 */
async function post(url: string, path: string, body: unknown): Promise<Response> {
  const init = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  try {
    return await fetch(`${url}${path}`, init);
  } catch (err) {
    const proc = serverProcs.get(url);
    if ((err as { code?: string }).code !== "ECONNRESET" || !proc || proc.exitCode !== null || proc.signalCode !== null) throw err;
    console.error(`  (${url} reset the connection before answering; its process ${proc.pid} is alive: retried on a new connection)`);
    return fetch(`${url}${path}`, { ...init, keepalive: false });
  }
}

/** One streamed /v1/completions (both servers speak it): TTFT, decode tok/s after the first token. */
async function complete(url: string, body: Record<string, unknown>): Promise<Sample> {
  const startMs = performance.now();
  const res = await post(url, "/v1/completions", { max_tokens: TOKENS, temperature: 0.8, stream: true, ...body });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  let first = 0;
  let tokens = 0;
  for await (const m of readSse(res.body!)) {
    if (m.data === "[DONE]") break;
    const chunk = JSON.parse(m.data) as { choices?: { text?: string }[]; error?: unknown };
    if (chunk.error) throw new Error(m.data);
    if (chunk.choices?.[0]?.text) {
      tokens++;
      if (!first) first = performance.now();
    }
  }
  const endMs = performance.now();
  return { ttftMs: first - startMs, tokPerS: (tokens - 1) / ((endMs - first) / 1000), tokens, startMs, endMs };
}

/** N streams at once: all tokens over the wall time from the first request to the last answer. */
async function aggregate(url: string, n: number, seed: number, body: Record<string, unknown> = {}): Promise<number> {
  const all = await Promise.all(Array.from({ length: n }, (_, i) => complete(url, { prompt: `${PROMPT} ${i}`, seed: seed + i, ...body })));
  const wall = Math.max(...all.map((s) => s.endMs)) - Math.min(...all.map((s) => s.startMs));
  return (all.reduce((a, s) => a + s.tokens, 0) / wall) * 1000;
}

async function waitHttp(url: string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > end) throw new Error(`${url} not up within ${ms / 1000} s`);
    await Bun.sleep(20);
  }
}

/**
 * A free port this run has not used yet: fetch keeps connections to a stopped server in its
 * pool, and a new server on the same port number would get requests on those dead sockets
 * (ECONNRESET at the start of a section).
 */
const usedPorts = new Set<number>();
async function newPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (usedPorts.has(port)) continue;
    usedPorts.add(port);
    return port;
  }
}

const rssMiB = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)![1]) / 1024;


async function llamaServer(bin: string, model: string, threads: number, parallel: number) {
  const port = await newPort();
  const proc = Bun.spawn([bin, "-m", model, "-t", String(threads), "-tb", String(threads), "--parallel", String(parallel), "-c", String(CTX * parallel), "--port", String(port), "--host", "127.0.0.1", "--no-webui"], { env: { ...process.env, ...llamaServerEnv(bin) }, stdout: "ignore", stderr: "ignore" });
  procs.push(proc);
  const url = `http://127.0.0.1:${port}`;
  serverProcs.set(url, proc);
  await waitHttp(`${url}/health`);
  return { url, pid: proc.pid, stop: async () => { proc.kill(); await proc.exited; } };
}

/**
 * Waits until a queen does no start-up work, so that the runs measure decoding: its hive keeps a
 * standby worker (engine started) for on-demand spawns, and one that is starting takes a core
 * for a second or more. Written files (the model and rbee's copy of it, 220 MB each) are flushed
 * first, so that their write-back does not run beside the first runs.
 */
async function settle(url: string): Promise<void> {
  Bun.spawnSync(["sync"]);
  for (let i = 0; i < 600 && ((await (await fetch(`${url}/v1/info`)).json()) as { standby_worker?: string }).standby_worker === "starting"; i++) await Bun.sleep(100);
}

/** A queen (embedded hive) with one worker of `slots` slots for the model, at `threads` threads (unset: rbee's own choice). */
async function rbeeQueen(model: string, threads: number | undefined, slots: number, spawn = true) {
  const home = mkdtempSync(join(tmpdir(), "rbee-vs-"));
  const port = await newPort();
  const env = { ...process.env, RBEE_HOME: home, RBEE_API_TOKEN: "", ...(threads ? { RBEE_WORKER_THREADS: String(threads) } : {}) };
  const proc = Bun.spawn([BIN, "serve", "--port", String(port), "--worker-slots", String(slots)], { env, stdout: "ignore", stderr: "ignore" });
  procs.push(proc);
  const url = `http://127.0.0.1:${port}`;
  serverProcs.set(url, proc);
  await waitHttp(`${url}/health`);
  const run = (argv: string[]) => Bun.spawnSync([BIN, ...argv, "--queen-url", url], { env, stdout: "pipe", stderr: "pipe" });
  const dl = run(["model", "download", model]);
  if (dl.exitCode !== 0) throw new Error(`model download: ${dl.stderr}`);
  const id = "bench";
  const { path: modelPath } = JSON.parse(run(["model", "get", id, "--json"]).stdout.toString()) as { path: string };
  let workerPid = 0;
  await settle(url);
  if (spawn) {
    const w = run(["worker", "spawn", "--model", id, "--slots", String(slots), "--json"]);
    if (w.exitCode !== 0) throw new Error(`worker spawn: ${w.stderr}`);
    const lines = w.stdout.toString().trim().split("\n").map((l) => JSON.parse(l) as { kind?: string; result?: { pid: number } });
    workerPid = lines.find((l) => l.kind === "result")?.result?.pid ?? 0;
    if (!workerPid) throw new Error(`worker spawn: no pid in ${w.stdout}`);
    // The spawn took the standby worker: the hive starts another, which is start-up work, not decoding.
    await settle(url);
  }
  return { url, id, modelPath, pid: proc.pid, workerPid: () => workerPid, home, stop: async () => { proc.kill(); await proc.exited; rmSync(home, { recursive: true, force: true }); } };
}

const rows: [string, string, string, string, string][] = [];
/**
 * One figure per side, and their ratio. Interleaved runs give pairs (ours, peer) measured moments
 * apart: the ratio is the median of the pairs' ratios, so a machine that slows down or speeds up
 * during the run (a shared host does, by ±10 %) moves both sides of a pair alike.
 */
const row = (what: string, ours: number | number[], peer: number | number[], unit: string, target: string) => {
  const pairs = Array.isArray(ours) && Array.isArray(peer) ? ours.map((x, i) => x / (peer as number[])[i]!) : [Number(ours) / Number(peer)];
  const ratio = median(pairs);
  ours = Array.isArray(ours) ? median(ours) : ours;
  peer = Array.isArray(peer) ? median(peer) : peer;
  rows.push([what, `${ours.toFixed(1)} ${unit}`, `${peer.toFixed(1)} ${unit}`, `${ratio.toFixed(2)}×`, target]);
  console.error(`  ${what}: rbee ${ours.toFixed(1)} / llama-server ${peer.toFixed(1)} ${unit} = ${ratio.toFixed(2)}×`);
};

const dir = mkdtempSync(join(tmpdir(), "rbee-vs-model-"));
try {
  const server = await ensureLlamaServer();
  const model = join(dir, "bench.gguf");
  const dim = Number(args.dim);
  const bytes = writeDemoModel(model, { dim, layers: Number(args.layers), heads: dim / 64, vocab: 2048, type: "q8_0", seed: 1 });
  console.error(`model: dim ${dim}, ${args.layers} layers, Q8_0, ${(bytes / 1e6).toFixed(1)} MB; ${TOKENS} tokens, ${RUNS} interleaved runs (median)`);
  // dist/rbee's workers run the OpenMP CPU engine when `bun run build:engine` made it (build.ts records which).
  const packed = join(import.meta.dir, "../dist/engine/linux-x64/engine.json");
  console.error(`rbee's CPU engine: ${existsSync(packed) && JSON.parse(readFileSync(packed, "utf8")).cpuBuild === "openmp" ? "the OpenMP build" : "node-llama-cpp's prebuilt one"} (RBEE_CPU_ENGINE=prebuilt forces the latter)`);

  // Single stream at 1 and 2 threads, and rbee's own choice.
  for (const threads of [1, 2, undefined]) {
    const ours = await rbeeQueen(model, threads, 1);
    const peer = await llamaServer(server, ours.modelPath, threads ?? 2, 1);
    await complete(peer.url, { prompt: PROMPT, seed: 99 });
    await complete(ours.url, { model: ours.id, prompt: PROMPT, seed: 99 });
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const order = r % 2 ? [ours, peer] : [peer, ours];
      for (const side of order) (side === ours ? a : b).push((await complete(side.url, { ...(side === ours ? { model: ours.id } : {}), prompt: PROMPT, seed: r })).tokPerS);
    }
    row(threads ? `1 stream, ${threads} thread(s), decode` : "1 stream, rbee's own thread choice vs llama-server -t 2", a, b, "tok/s", "≥ 0.95×");
    if (threads === 1) {
      row("RSS of the worker vs llama-server, 1 slot", rssMiB(ours.workerPid()), rssMiB(peer.pid), "MiB", "≤ peer + 64 MiB");
      row("queen's own RSS (idle, with a worker)", rssMiB(ours.pid), 64, "MiB", "≤ 64 MiB");
    }
    await Promise.all([peer.stop(), ours.stop()]);
  }

  // 2 and 4 concurrent streams.
  for (const n of [2, 4]) {
    const ours = await rbeeQueen(model, undefined, n);
    const peer = await llamaServer(server, ours.modelPath, 2, n);
    await aggregate(peer.url, n, 90);
    await aggregate(ours.url, n, 90, { model: ours.id });
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const order = r % 2 ? ["ours", "peer"] : ["peer", "ours"];
      for (const side of order) (side === "ours" ? a : b).push(side === "ours" ? await aggregate(ours.url, n, r * 10, { model: ours.id }) : await aggregate(peer.url, n, r * 10));
    }
    row(`${n} streams at once, aggregate`, a, b, "tok/s", "≥ 0.95×");
    await Promise.all([peer.stop(), ours.stop()]);
  }

  // Second turn of a conversation: the first turn's prompt and answer, plus a new message.
  {
    const history = Array.from({ length: 40 }, (_, i) => `${PROMPT} (line ${i})`).join("\n");
    const ours = await rbeeQueen(model, undefined, 1);
    const peer = await llamaServer(server, ours.modelPath, 2, 1);
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const turn1 = `${history}\nturn ${r}:`;
      for (const side of r % 2 ? [ours, peer] : [peer, ours]) {
        const extra = side === ours ? { model: ours.id } : { cache_prompt: true };
        await complete(side.url, { ...extra, prompt: turn1, seed: r, max_tokens: 16 });
        (side === ours ? a : b).push((await complete(side.url, { ...extra, prompt: `${turn1} and then the bees said`, seed: r, max_tokens: 16 })).ttftMs);
      }
    }
    row("second turn of a conversation, TTFT", a, b, "ms", "≤ 1.2×");
    await Promise.all([peer.stop(), ours.stop()]);
  }

  // Cold start: nothing loaded → first token.
  {
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < Math.min(RUNS, 3); r++) {
      const t0 = performance.now();
      const peer = await llamaServer(server, model, 2, 1);
      await complete(peer.url, { prompt: PROMPT, seed: r, max_tokens: 1 });
      b.push(performance.now() - t0);
      await peer.stop();
      const ours = await rbeeQueen(model, undefined, 1, false);
      const t1 = performance.now();
      await complete(ours.url, { model: ours.id, prompt: PROMPT, seed: r, max_tokens: 1 });
      a.push(performance.now() - t1);
      await ours.stop();
    }
    row("cold start → first token (rbee: on-demand worker; peer: process start + load)", a, b, "ms", "≤ 2×");
  }
} finally {
  for (const p of procs) p.kill();
  rmSync(dir, { recursive: true, force: true });
}

const head: [string, string, string, string, string] = ["what", "rbee", "llama-server", "ratio", "target"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join(" | ");
console.log(line(head));
console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
for (const r of rows) console.log(line(r));
