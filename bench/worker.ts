/**
 * Worker benchmark: what the worker costs over node-llama-cpp used directly, and what
 * batching two streams gains.
 *
 *   bun bench/worker.ts [--tokens 256] [--runs 5] [--threads 1] [--dim 512] [--layers 8]
 *
 * 1. in-process: node-llama-cpp's own `sequence.evaluate` loop, no HTTP (the baseline);
 * 2. worker HTTP: the same generation through `rbee worker serve` (a separate process) and SSE;
 * 3. two streams at once on a 2-slot worker vs one: combined tokens/s.
 * Targets: HTTP ≥ 98 % of in-process; two streams ≥ 1.5× one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readSse } from "../src/keeper/sse-reader.ts";
import { writeDemoModel } from "../src/model/gguf-writer.ts";
import { loadEngine } from "../src/worker/engine.ts";

const { values: args } = parseArgs({
  options: {
    tokens: { type: "string", default: "256" },
    runs: { type: "string", default: "5" },
    threads: { type: "string", default: "1" },
    dim: { type: "string", default: "512" },
    layers: { type: "string", default: "8" },
  },
});
const TOKENS = Number(args.tokens);
const RUNS = Number(args.runs);
const THREADS = Number(args.threads);
const PROMPT = "the queen of the hive asked every worker bee to bring honey";

interface Sample { ttftMs: number; tokPerS: number; tokens: number; wallMs: number }
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary = (s: Sample[]) => ({ ttftMs: median(s.map((x) => x.ttftMs)), tokPerS: median(s.map((x) => x.tokPerS)) });

/** Decode speed after the first token, the same measure on both sides. */
function sample(start: number, first: number, end: number, tokens: number): Sample {
  return { ttftMs: first - start, tokPerS: (tokens - 1) / ((end - first) / 1000), tokens, wallMs: end - start };
}

async function inProcess(modelPath: string, seed: number): Promise<Sample> {
  const { getLlama } = await loadEngine();
  const llama = await getLlama({ gpu: false, build: "never", logger: () => {} });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize: 1024, threads: THREADS });
  try {
    const sequence = context.getSequence();
    const tokens = [model.tokens.bos!, ...model.tokenize(PROMPT)];
    const start = performance.now();
    let first = 0;
    let n = 0;
    for await (const _ of sequence.evaluate(tokens, { temperature: 0.8, seed })) {
      if (n++ === 0) first = performance.now();
      if (n === TOKENS) break;
    }
    return sample(start, first, performance.now(), n);
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

/**
 * What llama.cpp itself allows: the time of one decode of 2 tokens (two sequences) against
 * one of 1 token. Two batched streams can at best reach 2 × t1 / t2 of one stream's speed.
 */
async function batchCeiling(modelPath: string): Promise<{ t1: number; t2: number }> {
  const { getLlama } = await loadEngine();
  const llama = await getLlama({ gpu: false, build: "never", logger: () => {} });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize: 1024, sequences: 2, threads: THREADS });
  try {
    const [a, b] = [context.getSequence(), context.getSequence()];
    const token = model.tokenize("bee")[0]!;
    const time = async (fn: () => Promise<unknown>) => {
      await Promise.all([a.clearHistory(), b.clearHistory()]);
      const start = performance.now();
      for (let i = 0; i < 64; i++) await fn();
      return (performance.now() - start) / 64;
    };
    const t1s: number[] = [];
    const t2s: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      t1s.push(await time(() => a.controlledEvaluate([token])));
      t2s.push(await time(() => Promise.all([a.controlledEvaluate([token]), b.controlledEvaluate([token])])));
    }
    return { t1: median(t1s), t2: median(t2s) };
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

async function overHttp(url: string, seed: number): Promise<Sample> {
  const start = performance.now();
  const res = await fetch(`${url}/v1/inference`, { method: "POST", body: JSON.stringify({ prompt: PROMPT, max_tokens: TOKENS, seed }) });
  let first = 0;
  let n = 0;
  for await (const m of readSse(res.body!)) {
    if (m.event === "token" && n++ === 0) first = performance.now();
    if (m.event === "error") throw new Error(m.data);
  }
  return sample(start, first, performance.now(), n);
}

async function startWorker(modelPath: string, slots: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const main = resolve(import.meta.dir, "../src/main.ts");
  const proc = Bun.spawn(["bun", main, "worker", "serve", "--model", modelPath, "--port", "0", "--slots", String(slots), "--threads", String(THREADS), "--ctx", "1024"], {
    stdin: "ignore", stdout: "pipe", stderr: "inherit",
  });
  let out = "";
  for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
    out += new TextDecoder().decode(chunk);
    if (out.includes("\n")) break;
  }
  const ready = JSON.parse(out.split("\n")[0]!);
  if (ready.event !== "ready") throw new Error(out);
  return { url: `http://127.0.0.1:${ready.port}`, stop: async () => { proc.kill("SIGTERM"); await proc.exited; } };
}

const dir = mkdtempSync(join(tmpdir(), "rbee-bench-"));
try {
  const modelPath = join(dir, "bench.gguf");
  const dim = Number(args.dim);
  const bytes = writeDemoModel(modelPath, { dim, layers: Number(args.layers), heads: dim / 64, vocab: 2048, type: "q8_0", seed: 1 });
  console.log(`model: dim ${dim}, ${args.layers} layers, Q8_0, ${(bytes / 1e6).toFixed(1)} MB; ${TOKENS} tokens, ${RUNS} runs (median), ${THREADS} thread(s)\n`);

  const w1 = await startWorker(modelPath, 1);
  const direct: Sample[] = [];
  const http: Sample[] = [];
  await overHttp(w1.url, 99); // warm-up
  await inProcess(modelPath, 99);
  // Interleaved, so machine noise hits both sides alike.
  for (let r = 0; r < RUNS; r++) {
    direct.push(await inProcess(modelPath, r));
    http.push(await overHttp(w1.url, r));
  }
  await w1.stop();
  const d = summary(direct);
  const h = summary(http);
  console.log("                     TTFT ms   decode tok/s");
  console.log(`in-process           ${d.ttftMs.toFixed(1).padStart(7)}   ${d.tokPerS.toFixed(1).padStart(12)}`);
  console.log(`worker over HTTP     ${h.ttftMs.toFixed(1).padStart(7)}   ${h.tokPerS.toFixed(1).padStart(12)}`);
  const ratio = h.tokPerS / d.tokPerS;
  console.log(`HTTP / in-process: ${(ratio * 100).toFixed(1)} %  (target ≥ 98 %) ${ratio >= 0.98 ? "OK" : "BELOW"}\n`);

  const { t1, t2 } = await batchCeiling(modelPath);
  console.log(`llama.cpp decode: 1 token ${t1.toFixed(2)} ms, 2 tokens (2 sequences, one batch) ${t2.toFixed(2)} ms`);
  console.log(`=> ceiling for 2 batched streams: ${((2 * t1) / t2).toFixed(2)}× one stream\n`);

  const w2 = await startWorker(modelPath, 2);
  // Warm both paths: llama.cpp sizes its buffers on the first 2-sequence batch (a slow step).
  await overHttp(w2.url, 99);
  await Promise.all([overHttp(w2.url, 98), overHttp(w2.url, 97)]);
  const one: number[] = [];
  const two: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const s = await overHttp(w2.url, r);
    one.push((s.tokens / s.wallMs) * 1000);
    const start = performance.now();
    const both = await Promise.all([overHttp(w2.url, r), overHttp(w2.url, r + 100)]);
    two.push(((both[0]!.tokens + both[1]!.tokens) / (performance.now() - start)) * 1000);
  }
  await w2.stop();
  const gain = median(two) / median(one);
  console.log("                     combined tok/s (incl. prefill)");
  console.log(`1 stream             ${median(one).toFixed(1).padStart(7)}`);
  console.log(`2 streams at once    ${median(two).toFixed(1).padStart(7)}`);
  console.log(`2 / 1: ${gain.toFixed(2)}×  (target ≥ 1.5×) ${gain >= 1.5 ? "OK" : "BELOW"}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
