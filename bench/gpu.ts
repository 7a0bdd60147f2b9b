/**
 * GPU benchmark for a real NVIDIA machine: the devices the hive sees, the layers a worker
 * offloads, and decode tokens/s on cuda:0 vs cpu:0 for the same model. CI never runs it.
 *
 *   bun bench/gpu.ts [--model FILE.gguf] [--engines DIR] [--tokens 256] [--device cuda:0]
 *
 * (`--device vulkan:0` runs the same comparison on a Vulkan device, llvmpipe included.)
 *
 * It needs no internet: the compiled dist/rbee (`bun run build`), a GGUF brought along
 * (default: a ~1 GB demo-shaped model written here with random weights) and the CUDA engine
 * as package tarballs in DIR (default .cache/engines), made on a machine with internet:
 *
 *   npm pack @node-llama-cpp/linux-x64-cuda@VERSION @node-llama-cpp/linux-x64-cuda-ext@VERSION --pack-destination .cache/engines
 *
 * (VERSION = node_modules/node-llama-cpp's). Without those files it installs from the npm
 * registry. The -ext package bundles the CUDA runtime, so only the NVIDIA driver is needed.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DaemonClient } from "../src/keeper/daemon-client.ts";
import { writeDemoModel } from "../src/model/gguf-writer.ts";
import type { JobEvent } from "../src/protocol/events.ts";

const { values: args } = parseArgs({
  options: {
    model: { type: "string" },
    engines: { type: "string", default: ".cache/engines" },
    tokens: { type: "string", default: "256" },
    device: { type: "string", default: "cuda:0" },
  },
});
const BIN = resolve(import.meta.dirname, "../dist/rbee");
if (!existsSync(BIN)) throw new Error("dist/rbee is missing: bun run build");
const version = JSON.parse(readFileSync(resolve(import.meta.dirname, "../node_modules/node-llama-cpp/package.json"), "utf8")).version as string;
const home = mkdtempSync(join(tmpdir(), "rbee-bench-gpu-"));
const env = { ...process.env, RBEE_HOME: home };

const serve = Bun.spawn([BIN, "serve", "--port", "0"], { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
let out = "";
const url = await new Promise<string>((ok, fail) => {
  const timer = setTimeout(() => fail(new Error(`no queen within 30 s:\n${out}`)), 30_000);
  void (async () => {
    for await (const chunk of serve.stdout as ReadableStream<Uint8Array>) {
      out += new TextDecoder().decode(chunk);
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) return clearTimeout(timer), ok(m[1]);
    }
  })();
});
const client = new DaemonClient(url);

/** Runs one job to its end; prints its narration; returns its result. */
async function job(op: Record<string, unknown>): Promise<any> {
  const { job_id } = await client.submit(op);
  let result: unknown;
  const outcome = await client.stream(job_id, {
    onEvent: (e: JobEvent) => {
      if (e.kind === "narration" && !e.progress) console.error(`  ${e.human}`);
      if (e.kind === "result") result = e.result;
    },
  });
  if (outcome.state !== "completed") throw new Error(`${op.operation}: ${JSON.stringify(outcome)}`);
  return result;
}

try {
  const dir = resolve(args.engines!);
  const backend = args.device!.split(":")[0]!;
  const tarballs = existsSync(dir) ? readdirSync(dir).filter((f) => new RegExp(`^node-llama-cpp-linux-x64-${backend}(-ext)?-${version.replaceAll(".", "\\.")}\\.tgz$`).test(f)).map((f) => join(dir, f)) : [];
  console.log(`== ${backend} engine ${version} ${tarballs.length ? `from ${tarballs.join(", ")}` : "from the npm registry"}`);
  await job({ operation: "engine_install", backend, ...(tarballs.length ? { from: tarballs } : {}) });
  for (const e of await job({ operation: "engine_list" })) console.log(`   ${e.backend.padEnd(7)} ${e.installed ? (e.loads ? "loads" : `does not load: ${e.error}`) : "not installed"}`);

  console.log("== devices");
  for (const d of await job({ operation: "device_list" })) {
    console.log(`   ${d.id.padEnd(9)} ${d.name}  ${((d.memory_free_bytes ?? 0) / 2 ** 30).toFixed(1)} / ${((d.memory_total_bytes ?? 0) / 2 ** 30).toFixed(1)} GiB free${d.software ? "  (software)" : ""}`);
  }

  const modelPath = args.model ? resolve(args.model) : join(home, "bench-1b.gguf");
  if (!args.model) writeDemoModel(modelPath, { dim: 2048, heads: 16, layers: 16, ff: 5632, vocab: 512, type: "f16" });
  const model = (await job({ operation: "model_download", model: modelPath })).id as string;

  const rows: string[] = [];
  for (const device of [args.device!, "cpu:0"]) {
    console.log(`== ${model} on ${device}`);
    const w = await job({ operation: "worker_spawn", model, device, gpu_layers: device === "cpu:0" ? undefined : "max" });
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await job({ operation: "infer", hive_id: "localhost", worker_id: w.worker_id, model, prompt: "Once upon a time", max_tokens: Number(args.tokens), seed: i, temperature: 0 });
      runs.push(r.tokens_per_s);
    }
    await job({ operation: "worker_stop", worker_id: w.worker_id });
    const median = [...runs].sort((a, b) => a - b)[1]!;
    rows.push(`${device.padEnd(8)} ${String(w.layers_offloaded ?? 0).padStart(3)}/${w.layers_total} layers  ${median.toFixed(1).padStart(8)} tok/s  (runs ${runs.map((r) => r.toFixed(1)).join(", ")})`);
  }
  console.log("== result (decode tokens/s, median of 3)");
  for (const r of rows) console.log(`   ${r}`);
} finally {
  serve.kill("SIGTERM");
  await serve.exited;
  rmSync(home, { recursive: true, force: true });
}
