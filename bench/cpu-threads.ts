/**
 * Decode speed of each CPU engine at each thread count, engine level (node-llama-cpp's own
 * `sequence.evaluate`, no HTTP), on the 206.6M Q8_0 bench model: what the worker's default
 * thread rule (defaultThreads in src/worker/model-loader.ts) rests on.
 *
 *   bun bench/cpu-threads.ts [--tokens 128] [--rounds 2] [--dim 1024] [--layers 16]
 *
 * Each (engine, threads) pair runs in its own process, since libgomp reads OMP_WAIT_POLICY
 * when it loads and one process holds one engine; pairs are interleaved over the rounds. The
 * OpenMP engine is measured when `bun run build:engine` has built it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openmpBuildDir } from "../src/engine/cpu-engine.ts";
import { startLlama } from "../src/engine/engine-load.ts";
import { writeDemoModel } from "../src/model/gguf-writer.ts";
import { engineBindingDir } from "../src/worker/engine.ts";

const { values: args } = parseArgs({
  options: {
    tokens: { type: "string", default: "128" },
    rounds: { type: "string", default: "2" },
    dim: { type: "string", default: "1024" },
    layers: { type: "string", default: "16" },
    child: { type: "string" },
    threads: { type: "string" },
  },
});
const PROMPT = "the queen of the hive asked every worker bee to bring honey";
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** In the child: load the model on the engine this process gets, then 1 warm-up and 3 timed runs. */
async function child(modelPath: string, threads: number): Promise<void> {
  const llama = await startLlama("cpu", () => {});
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize: 1024, threads });
  const speeds: number[] = [];
  for (let run = 0; run < 4; run++) {
    const sequence = context.getSequence();
    let first = 0;
    let n = 0;
    for await (const _ of sequence.evaluate([model.tokens.bos!, ...model.tokenize(PROMPT)], { temperature: 0.8, seed: run })) {
      if (n++ === 0) first = performance.now();
      if (n === Number(args.tokens)) break;
    }
    if (run > 0) speeds.push((n - 1) / ((performance.now() - first) / 1000));
    sequence.dispose();
  }
  console.log(JSON.stringify({ build: llama.buildType === "localBuild" ? "openmp" : "prebuilt", tokPerS: median(speeds) }));
  await context.dispose();
}

if (args.child) {
  await child(args.child, Number(args.threads));
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), "rbee-threads-"));
try {
  const modelPath = join(dir, "bench.gguf");
  const dim = Number(args.dim);
  const bytes = writeDemoModel(modelPath, { dim, layers: Number(args.layers), heads: dim / 64, vocab: 2048, type: "q8_0", seed: 1 });
  const engines = openmpBuildDir(await engineBindingDir()) ? ["openmp", "prebuilt"] : ["prebuilt"];
  const threadCounts = Array.from({ length: cpus().length }, (_, i) => i + 1);
  console.error(`model ${(bytes / 1e6).toFixed(1)} MB; engines ${engines.join(", ")}; threads ${threadCounts.join(", ")}; ${args.rounds} rounds`);
  const results = new Map<string, number[]>();
  for (let round = 0; round < Number(args.rounds); round++) {
    for (const engine of engines) {
      for (const threads of threadCounts) {
        const proc = Bun.spawnSync(["bun", import.meta.path, "--child", modelPath, "--threads", String(threads), "--tokens", String(args.tokens)], {
          env: { ...process.env, RBEE_CPU_ENGINE: engine },
          stdout: "pipe",
          stderr: "pipe",
        });
        const line = proc.stdout.toString().split("\n").find((l) => l.startsWith("{"));
        if (!line) throw new Error(`${engine} at ${threads} thread(s) failed: ${proc.stderr.toString().slice(-500)}`);
        const { build, tokPerS } = JSON.parse(line) as { build: string; tokPerS: number };
        if (build !== engine) throw new Error(`asked for the ${engine} engine, got ${build}`);
        const key = `${engine}, ${threads} thread(s)`;
        results.set(key, [...(results.get(key) ?? []), tokPerS]);
        console.error(`  round ${round + 1}: ${key}: ${tokPerS.toFixed(1)} tok/s`);
      }
    }
  }
  for (const [key, xs] of results) console.log(`${key}: ${median(xs).toFixed(1)} tok/s (median of ${xs.length})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
