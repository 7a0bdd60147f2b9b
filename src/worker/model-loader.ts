import { existsSync, statSync } from "node:fs";
import type { ChatWrapper, Llama, LlamaContext, LlamaModel } from "node-llama-cpp";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import { loadEngine } from "./engine.ts";

export interface LoadOptions {
  modelPath: string;
  /** `cpu:0` (the lean engine install ships the CPU backend only). */
  device: string;
  slots: number;
  threads?: number;
  /** Tokens each slot can hold; defaults to the model's training context, at most 4096. */
  contextSize?: number;
}

export interface LoadedModel {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  chatWrapper: ChatWrapper;
  threads: number;
  loadMs: number;
  dispose(): Promise<void>;
}

/** Models under this size decode faster on one thread: syncing threads costs more than the math. */
const TINY_MODEL_BYTES = 64 * 1024 * 1024;

function assertCpuDevice(device: string): void {
  if (/^cpu(:\d+)?$/.test(device)) return;
  throw new RbeeError("UNSUPPORTED_DEVICE", `This worker cannot run on device "${device}".`, "Use --device cpu:0.");
}

type LogListener = (level: string, message: string) => void;
const logListeners = new Set<LogListener>();
let llamaInstance: Promise<Llama> | undefined;

/**
 * One llama.cpp binding per process (starting it costs ~0.2 s): its log lines go to the
 * daemon log and to whichever loads are listening, so a failed load can say why.
 */
function sharedLlama(): Promise<Llama> {
  llamaInstance ??= loadEngine().then(({ getLlama }) =>
    getLlama({
      // macOS carries node-llama-cpp's Metal build only (there is no CPU-only one for Apple
      // silicon); elsewhere the binary carries the CPU build.
      gpu: process.platform === "darwin" ? "metal" : false,
      build: "never",
      logger: (level, message) => {
        for (const listen of logListeners) listen(level, message);
        const line = message.trim();
        if (line && (level === "error" || level === "fatal" || level === "warn")) {
          narrate("llama_log", line, { level: level === "warn" ? "warn" : "error" });
        }
      },
    }),
  ).catch((err) => {
    llamaInstance = undefined;
    throw new RbeeError(
      "ENGINE_UNAVAILABLE",
      `The llama.cpp engine could not start: ${err instanceof Error ? err.message : String(err)}`,
      "Reinstall rbee; the engine (node-llama-cpp with this platform's prebuilt binaries) ships inside it.",
      500,
    );
  });
  return llamaInstance;
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
  assertCpuDevice(opts.device);
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
  const llama = await sharedLlama();
  logListeners.add(listener);
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: opts.modelPath });
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
  const threads = opts.threads ?? (model.size < TINY_MODEL_BYTES ? 1 : Math.max(1, llama.cpuMathCores));
  try {
    const context = await model.createContext({
      sequences: opts.slots,
      contextSize: opts.contextSize ?? Math.min(model.trainContextSize, 4096),
      threads,
    });
    const chatWrapper = resolveChatWrapper(model) ?? new GeneralChatWrapper();
    return {
      llama, model, context, chatWrapper, threads,
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
