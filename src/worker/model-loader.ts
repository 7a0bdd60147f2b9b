import { existsSync, statSync } from "node:fs";
import type { ChatWrapper, Llama, LlamaContext, LlamaModel } from "node-llama-cpp";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import { loadEngine } from "./engine.ts";
import { parseDevice, type Backend } from "../engine/backends.ts";
import type { CpuBuild } from "../engine/cpu-engine.ts";
import { cpuBuildOf, startLlama } from "../engine/engine-load.ts";
import type { Offload } from "../engine/offload.ts";

export interface LoadOptions {
  modelPath: string;
  /** `cpu:0`, `vulkan:N`, `cuda:N`, `metal:0`: the hive pins N in the environment, so the engine sees it as its only device. */
  device: string;
  /** Layers to put on a GPU: "auto" (what fits, node-llama-cpp decides), "max" or a count. */
  gpuLayers?: "auto" | "max" | number;
  slots: number;
  threads?: number;
  /** Tokens each slot can hold; defaults to the model's training context, at most 4096. */
  contextSize?: number;
  /** A chat wrapper by name ("chatML", "llama3", …); default: what the model's GGUF implies. */
  chatTemplate?: string;
}

export interface LoadedModel {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  chatWrapper: ChatWrapper;
  threads: number;
  /** CPU workers: which CPU engine runs the model. */
  cpuBuild?: CpuBuild;
  loadMs: number;
  offload: Offload;
  dispose(): Promise<void>;
}

/** Models under this size decode faster on one thread: syncing threads costs more than the math. */
const TINY_MODEL_BYTES = 64 * 1024 * 1024;

/**
 * The thread count a worker picks when told none: every math core, one on tiny models.
 * Measured with bench/cpu-threads.ts (206.6M Q8_0 model, this 2-core machine, busy): the
 * OpenMP engine 22.7–25.4 tok/s at 1 thread, 35.2–38.9 at 2; the prebuilt one 19.4–23.8 at 1,
 * 27.9–34.9 at 2, though it loses the second thread's gain when the machine is oversubscribed
 * (its threads spin against other processes: 20.5 vs 19.0 at load 4+), which OpenMP does not.
 */
export function defaultThreads(modelBytes: number, mathCores: number): number {
  if (modelBytes < TINY_MODEL_BYTES) return 1;
  return Math.max(1, mathCores);
}

type LogListener = (level: string, message: string) => void;
const logListeners = new Set<LogListener>();
let llamaInstance: Promise<Llama> | undefined;

/**
 * One llama.cpp binding per process (starting it costs ~0.2 s): its log lines go to the
 * daemon log and to whichever loads are listening, so a failed load can say why.
 */
function sharedLlama(backend: Backend): Promise<Llama> {
  llamaInstance ??= startLlama(backend, (level, message) => {
    for (const listen of logListeners) listen(level, message);
    const line = message.trim();
    if (line && (level === "error" || level === "fatal" || level === "warn")) {
      narrate("llama_log", line, { level: level === "warn" ? "warn" : "error" });
    }
  }).catch((err) => {
    llamaInstance = undefined;
    throw err;
  });
  return llamaInstance;
}

/**
 * Starts the engine ahead of any model (a standby worker): importing node-llama-cpp, unpacking
 * the engine and node-llama-cpp's own test of its binary are most of a cold start.
 */
export async function warmEngine(backend: Backend): Promise<void> {
  await loadEngine();
  await sharedLlama(backend);
}

/**
 * The useful part of llama.cpp's log for a failed load: its specific complaints, without the
 * generic "failed to load model" lines that follow every failure, each said once.
 */
export function explainLoadFailure(lines: readonly string[]): string {
  const specific = lines
    .filter((l) => !/failed to load model( from .*)?$|Failed to parse GGUF metadata buffer/i.test(l))
    .map((l) => l.replace(/^llama_model_load: error loading model: /, ""));
  return [...new Set(specific)].slice(-2).join("; ");
}

/**
 * Load the engine, the model and one context with a sequence per slot. llama.cpp's own log
 * lines are kept so that a failure says WHY (without them it only says "Failed to load model").
 */
export async function loadWorkerModel(opts: LoadOptions): Promise<LoadedModel> {
  const started = performance.now();
  const { backend } = parseDevice(opts.device);
  if (!existsSync(opts.modelPath) || !statSync(opts.modelPath).isFile()) {
    throw new RbeeError("MODEL_NOT_FOUND", `No model file at ${opts.modelPath}.`, "Check the path, or download the model first (rbee model download).", 404);
  }
  const problems: string[] = [];
  const listener: LogListener = (level, message) => {
    const line = message.trim();
    if (!line || (level !== "error" && level !== "fatal" && level !== "warn")) return;
    problems.push(line);
    if (problems.length > 20) problems.shift();
  };
  const { resolveChatWrapper, GeneralChatWrapper } = await loadEngine();
  const llama = await sharedLlama(backend);
  logListeners.add(listener);
  let model: LlamaModel;
  const vramBefore = backend === "cpu" ? 0 : (await llama.getVramState()).used;
  try {
    model = await llama.loadModel({ modelPath: opts.modelPath, gpuLayers: backend === "cpu" ? 0 : (opts.gpuLayers ?? "auto") });
  } catch (err) {
    const why = explainLoadFailure(problems);
    throw new RbeeError(
      "MODEL_LOAD_FAILED",
      `Could not load ${opts.modelPath}: ${why || (err instanceof Error ? err.message : String(err))}`,
      "The file may be corrupt, incomplete, or of an architecture this llama.cpp build does not know; download it again.",
      500,
    );
  } finally {
    logListeners.delete(listener);
  }
  const cpuBuild = backend === "cpu" ? cpuBuildOf(llama) : undefined;
  const threads = opts.threads ?? defaultThreads(model.size, llama.cpuMathCores);
  try {
    const context = await model.createContext({
      sequences: opts.slots,
      contextSize: opts.contextSize ?? Math.min(model.trainContextSize, 4096),
      threads,
    });
    const chatWrapper = (opts.chatTemplate ? resolveChatWrapper(model, { type: opts.chatTemplate as never }) : chatWrapperFor(model, resolveChatWrapper)) ?? new GeneralChatWrapper();
    const offload = await describeLoad(llama, model, backend, vramBefore, context.contextSize, opts.slots);
    return {
      llama, model, context, chatWrapper, threads, cpuBuild, offload,
      loadMs: performance.now() - started,
      async dispose() {
        await context.dispose();
        await model.dispose();
      },
    };
  } catch (err) {
    await model.dispose().catch(() => {});
    throw new RbeeError("CONTEXT_FAILED", `Could not create a context for ${opts.modelPath}: ${err instanceof Error ? err.message : String(err)}`, "Try fewer slots or a smaller context size.", 500);
  }
}

/**
 * The model's own chat template when it has one, as llama-server renders it. node-llama-cpp's
 * "auto" would also try to match that template against each of its specialized wrappers, which
 * took 3.7–5 s per load here: most of a cold start. Without a template, "auto" picks by
 * architecture and file name, which is quick.
 */
function chatWrapperFor(model: LlamaModel, resolve: typeof import("node-llama-cpp").resolveChatWrapper): ChatWrapper | null {
  const template = model.fileInfo.metadata?.tokenizer?.chat_template;
  return resolve(model, typeof template === "string" && template.trim() ? { type: "jinjaTemplate" } : {});
}

/**
 * Where the layers went and how much device memory they take: measured from the device's
 * own counters when it keeps them, else node-llama-cpp's estimate for this many layers
 * (Mesa's llvmpipe, for one, reports no use).
 */
async function describeLoad(llama: Llama, model: LlamaModel, backend: Backend, vramBefore: number, contextSize: number, slots: number): Promise<Offload> {
  const layersTotal = model.fileInsights.totalLayers;
  if (backend === "cpu") return { backend, layers_offloaded: 0, layers_total: layersTotal };
  const [names, vram] = await Promise.all([llama.getGpuDeviceNames(), llama.getVramState()]);
  let used = vram.used - vramBefore;
  if (used <= 0) {
    const weights = model.fileInsights.estimateModelResourceRequirements({ gpuLayers: model.gpuLayers }).gpuVram;
    const ctx = await model.fileInsights.estimateContextResourceRequirementsV2({ contextSize, modelGpuLayers: model.gpuLayers, sequences: slots });
    used = weights + ctx.gpuVram;
  }
  return { backend, device_name: names[0], layers_offloaded: model.gpuLayers, layers_total: layersTotal, device_memory_bytes: Math.round(used) };
}
