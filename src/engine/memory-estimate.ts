import { statSync } from "node:fs";
import { RbeeError } from "../protocol/errors.ts";
import { readGgufInfo, type GgufInfo } from "../model/gguf-read.ts";

/** What a model needs in memory for a worker: weights, the KV cache of every slot, scratch. */
export interface MemoryEstimate {
  weights_bytes: number;
  kv_bytes: number;
  overhead_bytes: number;
  total_bytes: number;
  layers: number;
  context_per_slot: number;
  slots: number;
  /** The context the model was trained for (its GGUF's context_length). */
  train_context: number;
}

/** llama.cpp's compute buffers and the runtime's own: a floor, plus a share of the weights. */
const OVERHEAD_FLOOR = 64 * 1024 * 1024;
const OVERHEAD_SHARE = 0.05;
/** The worker's default context per slot (model-loader.ts): the model's, at most 4096. */
const DEFAULT_CONTEXT_CAP = 4096;

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

/**
 * Reads the GGUF header only (never the weights) and estimates what a worker with `slots`
 * sequences of `contextSize` tokens needs: the weights as stored (the file's size, which
 * llama.cpp maps whole), a 16-bit KV cache (layers × context × slots × K and V widths), and
 * compute scratch. An estimate in the spirit of node-llama-cpp's GGUF insights, made without
 * starting an engine, so the hive can refuse before any process starts.
 */
export async function estimateModelMemory(modelPath: string, opts: { slots: number; contextSize?: number }): Promise<MemoryEstimate> {
  let parsed: GgufInfo;
  try {
    parsed = readGgufInfo(modelPath);
  } catch (err) {
    throw new RbeeError("NOT_GGUF", `cannot read the GGUF header of ${modelPath}: ${(err as Error).message}`, "Download the model again.", 422);
  }
  const meta = parsed.metadata;
  const arch = String(meta["general.architecture"] ?? "llama");
  const layers = num(meta[`${arch}.block_count`]) ?? 0;
  const embd = num(meta[`${arch}.embedding_length`]) ?? 0;
  const heads = num(meta[`${arch}.attention.head_count`]) || 1;
  const kvHeads = num(meta[`${arch}.attention.head_count_kv`]) ?? heads;
  const keyLen = num(meta[`${arch}.attention.key_length`]) ?? embd / heads;
  const valueLen = num(meta[`${arch}.attention.value_length`]) ?? embd / heads;
  const train = num(meta[`${arch}.context_length`]) ?? DEFAULT_CONTEXT_CAP;
  const context = opts.contextSize ?? Math.min(train, DEFAULT_CONTEXT_CAP);
  const weights = statSync(modelPath).size;
  const kv = Math.round(layers * context * opts.slots * (keyLen + valueLen) * kvHeads * 2);
  const overhead = Math.round(OVERHEAD_FLOOR + OVERHEAD_SHARE * weights);
  return { weights_bytes: weights, kv_bytes: kv, overhead_bytes: overhead, total_bytes: weights + kv + overhead, layers, context_per_slot: context, slots: opts.slots, train_context: train };
}
