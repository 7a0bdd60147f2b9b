/**
 * What the queen and hive hops cost: time to first token and decode speed of the same
 * generation through
 *   1. node-llama-cpp in-process (no HTTP: the floor),
 *   2. a worker directly (`rbee worker serve`, POST /v1/inference),
 *   3. queen → worker: the OpenAI API of a queen whose embedded hive runs the worker,
 *   4. queen → hive → worker: the OpenAI API of a queen, the model only on a separate hive process.
 * Same generated model, same prompt, seeds and settings; runs interleaved in a rotating
 * order so machine noise and clean-up after a run hit every path alike. Targets: ≤ 2 ms added TTFT at p50 and ≥ 98 % tokens/s vs the worker.
 *
 *   bun bench/chain.ts [--tokens 256] [--runs 9] [--dim 512] [--layers 8]
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { DaemonClient } from "../src/keeper/daemon-client.ts";
import { readSse } from "../src/keeper/sse-reader.ts";
import { writeDemoModel } from "../src/model/gguf-writer.ts";
import { loadEngine } from "../src/worker/engine.ts";

const { values: args } = parseArgs({
  options: {
    tokens: { type: "string", default: "256" },
    runs: { type: "string", default: "9" },
    dim: { type: "string", default: "512" },
    layers: { type: "string", default: "8" },
  },
});
const TOKENS = Number(args.tokens);
const RUNS = Number(args.runs);
const PROMPT = "the queen of the hive asked every worker bee to bring honey";
const TEMPERATURE = 0.8;
const MAIN = resolve(import.meta.dir, "../src/main.ts");
/** The worker's own rule (model-loader.ts): tiny models decode faster on one thread. */
const TINY_MODEL_BYTES = 64 * 1024 * 1024;

interface Sample { ttftMs: number; tokPerS: number; tokens: number }
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
const sample = (start: number, first: number, end: number, tokens: number): Sample => ({ ttftMs: first - start, tokPerS: (tokens - 1) / ((end - first) / 1000), tokens });

/** 1. The engine in this process, loaded once; one sequence, history cleared between runs. */
async function inProcessRunner(modelPath: string, bytes: number) {
  const { getLlama } = await loadEngine();
  const llama = await getLlama({ gpu: false, build: "never", logger: () => {} });
  const model = await llama.loadModel({ modelPath });
  const threads = bytes < TINY_MODEL_BYTES ? 1 : Math.max(1, llama.cpuMathCores);
  const context = await model.createContext({ contextSize: Math.min(model.trainContextSize, 4096), threads });
  const sequence = context.getSequence();
  return {
    threads,
    async run(seed: number): Promise<Sample> {
      await sequence.clearHistory();
      const tokens = [model.tokens.bos!, ...model.tokenize(PROMPT)];
      const start = performance.now();
      let first = 0;
      let n = 0;
      for await (const _ of sequence.evaluate(tokens, { temperature: TEMPERATURE, seed })) {
        if (n++ === 0) first = performance.now();
        if (n === TOKENS) break;
      }
      return sample(start, first, performance.now(), n);
    },
    dispose: async () => { await context.dispose(); await model.dispose(); },
  };
}

/** 2. A worker's own API. */
async function viaWorker(url: string, seed: number): Promise<Sample> {
  const start = performance.now();
  const res = await fetch(`${url}/v1/inference`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: PROMPT, max_tokens: TOKENS, temperature: TEMPERATURE, seed }) });
  let first = 0;
  let n = 0;
  for await (const m of readSse(res.body!)) {
    if (m.event === "token" && n++ === 0) first = performance.now();
    if (m.event === "error") throw new Error(m.data);
  }
  return sample(start, first, performance.now(), n);
}

/** 3 and 4. A queen's OpenAI API, streamed; the token count from the usage chunk. */
async function viaQueen(queenUrl: string, model: string, seed: number): Promise<Sample> {
  const start = performance.now();
  const body = { model, prompt: PROMPT, max_tokens: TOKENS, temperature: TEMPERATURE, seed, stream: true, stream_options: { include_usage: true } };
  const res = await fetch(`${queenUrl}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`queen answered ${res.status}: ${await res.text()}`);
  let first = 0;
  let end = 0;
  let tokens = 0;
  for await (const m of readSse(res.body!)) {
    if (m.data === "[DONE]") break;
    const chunk = JSON.parse(m.data) as { choices: { text: string; finish_reason: string | null }[]; usage?: { completion_tokens: number } | null; error?: unknown };
    if (chunk.error) throw new Error(m.data);
    if (chunk.choices[0]?.text && !first) first = performance.now();
    if (chunk.choices[0]?.finish_reason) end = performance.now();
    if (chunk.usage) tokens = chunk.usage.completion_tokens;
  }
  return sample(start, first, end, tokens);
}

const procs: Subprocess[] = [];
function spawnRbee(argv: string[], home: string, stdout: "pipe" | "ignore" = "ignore"): Subprocess<"ignore", "pipe" | "ignore", "inherit"> {
  const proc = Bun.spawn(["bun", MAIN, ...argv], { stdin: "ignore", stdout, stderr: "inherit", env: { ...process.env, RBEE_HOME: home, RBEE_API_TOKEN: "", RBEE_MODEL_FOLDERS: dir } });
  procs.push(proc);
  return proc;
}

async function until(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await Bun.sleep(50);
  }
}

async function runOp(client: DaemonClient, op: Record<string, unknown>): Promise<unknown> {
  const { job_id } = await client.submit(op);
  let result: unknown;
  const outcome = await client.stream(job_id, { onEvent: (e) => { if (e.kind === "result") result = e.result; } });
  if (outcome.state !== "completed") throw new Error(`${op.operation}: ${JSON.stringify(outcome)}`);
  return result;
}

function table(rows: [string, Sample[]][], reference: Sample[]): void {
  const refTtft = quantile(reference.map((s) => s.ttftMs), 0.5);
  const refTps = quantile(reference.map((s) => s.tokPerS), 0.5);
  console.log("                              TTFT p50   TTFT p90   tok/s p50   added TTFT p50   tok/s vs worker");
  for (const [name, samples] of rows) {
    const ttft = quantile(samples.map((s) => s.ttftMs), 0.5);
    const tps = quantile(samples.map((s) => s.tokPerS), 0.5);
    const p90 = quantile(samples.map((s) => s.ttftMs), 0.9);
    console.log(
      `${name.padEnd(28)} ${ttft.toFixed(2).padStart(8)} ms ${p90.toFixed(2).padStart(7)} ms ${tps.toFixed(1).padStart(10)}   ${(ttft - refTtft >= 0 ? "+" : "") + (ttft - refTtft).toFixed(2).padStart(6)} ms        ${((tps / refTps) * 100).toFixed(1).padStart(6)} %`,
    );
  }
}

const dir = mkdtempSync(join(tmpdir(), "rbee-chain-"));
const queenHome = join(dir, "queen");
const hiveHome = join(dir, "hive");
try {
  const dim = Number(args.dim);
  const modelPath = join(dir, "bench.gguf");
  const bytes = writeDemoModel(modelPath, { dim, layers: Number(args.layers), heads: dim / 64, vocab: 2048, type: "q8_0", seed: 1 });
  copyFileSync(modelPath, join(dir, "bench-local.gguf"));

  // The daemons: a queen (its embedded hive gets `bench-local`), a separate hive h2 (gets `bench`),
  // and a worker of our own for the direct path. Workers the queen starts get one slot, as ours.
  const queen = spawnRbee(["serve", "--port", "0", "--worker-slots", "1"], queenHome, "pipe");
  const queenUrl = await listeningUrl(queen);
  const hive = spawnRbee(["serve", "--role", "hive", "--port", "0", "--hive-id", "h2", "--queen-url", queenUrl], hiveHome);
  const client = new DaemonClient(queenUrl, "");
  await until(async () => /^rbee_hives_online 2$/m.test(await (await fetch(`${queenUrl}/metrics`)).text()), "hive h2 registers");
  await runOp(client, { operation: "model_download", hive_id: "h2", model: modelPath });
  await runOp(client, { operation: "model_download", hive_id: "localhost", model: join(dir, "bench-local.gguf") });
  const worker = spawnRbee(["worker", "serve", "--model", modelPath, "--model-id", "bench", "--port", "0", "--slots", "1"], dir, "pipe");
  const workerUrl = await workerReadyUrl(worker);
  const engine = await inProcessRunner(modelPath, bytes);

  console.log(`model: dim ${dim}, ${args.layers} layers, Q8_0, ${(bytes / 1e6).toFixed(1)} MB, ${engine.threads} thread(s); ${TOKENS} tokens, ${RUNS} runs, temperature ${TEMPERATURE}\n`);
  // Warm-up: the queen starts its workers here (cold starts are not what this measures).
  await viaQueen(queenUrl, "bench", 99);
  await viaQueen(queenUrl, "bench-local", 99);
  await viaWorker(workerUrl, 99);
  await engine.run(99);

  const results: Record<string, Sample[]> = { inproc: [], worker: [], embedded: [], remote: [] };
  // CPU the relaying daemons spend, per path: robust where wall time suffers from a busy machine.
  const cpu = { embeddedQueen: 0, remoteQueen: 0, remoteHive: 0 };
  const measured = async (path: Sample[], fn: () => Promise<Sample>, account: (q: number, h: number) => void) => {
    const [q0, h0] = [cpuMs(queen.pid), cpuMs(hive.pid)];
    path.push(await fn());
    account(cpuMs(queen.pid) - q0, cpuMs(hive.pid) - h0);
  };
  const paths = [
    (r: number) => engine.run(r).then((s) => void results.inproc.push(s)),
    (r: number) => viaWorker(workerUrl, r).then((s) => void results.worker.push(s)),
    (r: number) => measured(results.embedded, () => viaQueen(queenUrl, "bench-local", r), (q) => (cpu.embeddedQueen += q)),
    (r: number) => measured(results.remote, () => viaQueen(queenUrl, "bench", r), (q, h) => ((cpu.remoteQueen += q), (cpu.remoteHive += h))),
  ];
  for (let r = 0; r < RUNS; r++) {
    // The order rotates each round, and each run starts on a settled machine: the previous
    // generation's process finishes its clean-up (sequence clearing, GC) in the gap.
    for (let i = 0; i < paths.length; i++) {
      await paths[(r + i) % paths.length]!(r);
      await Bun.sleep(30);
    }
  }
  for (const s of [...results.embedded, ...results.remote]) if (s.tokens !== TOKENS) throw new Error(`a queen run produced ${s.tokens} tokens, not ${TOKENS}`);
  await engine.dispose();

  table(
    [
      ["node-llama-cpp in-process", results.inproc],
      ["worker POST /v1/inference", results.worker],
      ["queen → worker (embedded)", results.embedded],
      ["queen → hive → worker", results.remote],
    ],
    results.worker,
  );
  const added = quantile(results.remote.map((s) => s.ttftMs), 0.5) - quantile(results.worker.map((s) => s.ttftMs), 0.5);
  const ratio = quantile(results.remote.map((s) => s.tokPerS), 0.5) / quantile(results.worker.map((s) => s.tokPerS), 0.5);
  const perToken = (ms: number) => ((ms * 1000) / (RUNS * TOKENS)).toFixed(1);
  console.log(`\nCPU per token relayed: embedded queen ${perToken(cpu.embeddedQueen)} µs; queen ${perToken(cpu.remoteQueen)} µs + hive ${perToken(cpu.remoteHive)} µs (a token every ${(1000 / quantile(results.worker.map((s) => s.tokPerS), 0.5) * 1000).toFixed(0)} µs)`);
  console.log(`queen → hive → worker vs worker: +${added.toFixed(2)} ms TTFT at p50 (target ≤ 2 ms) ${added <= 2 ? "OK" : "ABOVE"}; ${(ratio * 100).toFixed(1)} % tokens/s (target ≥ 98 %) ${ratio >= 0.98 ? "OK" : "BELOW"}`);

} finally {
  // `rbee serve` stops its workers on SIGTERM; our own worker just exits.
  for (const p of procs) p.kill("SIGTERM");
  await Promise.all(procs.map((p) => p.exited));
  rmSync(dir, { recursive: true, force: true });
}

/** CPU time (user + system) a process has used, in ms, from /proc (Linux clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The queen prints `queen ready: listening on URL` as a log line. */
function listeningUrl(proc: Subprocess<"ignore", "pipe" | "ignore", "inherit">): Promise<string> {
  return firstMatch(proc, /listening on (http:\/\/\S+)/);
}

/** A worker prints one JSON line `{"event":"ready","port":…}`. */
async function workerReadyUrl(proc: Subprocess<"ignore", "pipe" | "ignore", "inherit">): Promise<string> {
  const port = await firstMatch(proc, /"event":"ready".*?"port":(\d+)/);
  return `http://127.0.0.1:${port}`;
}

async function firstMatch(proc: Subprocess<"ignore", "pipe" | "ignore", "inherit">, pattern: RegExp): Promise<string> {
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let out = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`exited before printing ${pattern}: ${out}`);
    out += decoder.decode(value, { stream: true });
    const m = out.match(pattern);
    if (m) {
      // Keep draining, so a full pipe never blocks the daemon.
      void (async () => { while (!(await reader.read()).done); })();
      return m[1]!;
    }
  }
}
