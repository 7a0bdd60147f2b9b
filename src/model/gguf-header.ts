import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { RbeeError } from "../protocol/errors.ts";
import { readGgufInfo, type GgufInfo } from "./gguf-read.ts";

/** What the catalog shows about a model, read from its GGUF header (not its weights). */
export interface GgufHeader {
  architecture: string;
  /** Sum of the tensor shapes; 0 when the file declares no tensors. */
  parameters: number;
  /** The training context length, when the header states it. */
  context_length: number | null;
  /** The file type name (Q4_K_M, F16 …), or "unknown". */
  quantization: string;
  size_bytes: number;
}

const NOT_GGUF_HINT = "rbee runs GGUF models: give a .gguf file (for example hf:ORG/REPO for a Hugging Face GGUF repo)";

/** The parameters one GGUF file (a shard too, which lacks the model's metadata) holds. */
export async function parameterCount(path: string): Promise<number> {
  try {
    return readGgufInfo(path).parameterCount;
  } catch (err) {
    throw new RbeeError("NOT_GGUF", `${basename(path)} is not a valid GGUF file: ${err instanceof Error ? err.message : String(err)}`, NOT_GGUF_HINT, 422);
  }
}

export async function readGgufHeader(path: string): Promise<GgufHeader> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error("not a file");
    size = info.size;
  } catch {
    throw new RbeeError("MODEL_FILE_MISSING", `no model file at ${path}`, "download the model again", 404);
  }

  let parsed: GgufInfo;
  try {
    parsed = readGgufInfo(path);
  } catch (err) {
    // The reader's own words say what is wrong (bad magic, truncated header, absurd sizes).
    const why = err instanceof Error ? err.message : String(err);
    throw new RbeeError("NOT_GGUF", `${basename(path)} is not a valid GGUF model: ${why}`, NOT_GGUF_HINT, 422);
  }

  const meta = parsed.metadata;
  const architecture = meta["general.architecture"];
  if (typeof architecture !== "string" || architecture === "") {
    throw new RbeeError("NOT_GGUF", `${basename(path)} is a GGUF file without general.architecture, so no runtime can load it`, NOT_GGUF_HINT, 422);
  }
  return {
    architecture,
    parameters: parsed.parameterCount,
    context_length: toNumber(meta[`${architecture}.context_length`]),
    quantization: await quantName(meta["general.file_type"], path),
    size_bytes: size,
  };
}

function toNumber(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

async function quantName(fileType: unknown, path: string): Promise<string> {
  // Loaded on first use: with its task tables it costs a daemon ~5 MiB it needs only here.
  const { GGMLFileQuantizationType, parseGGUFQuantLabel } = await import("@huggingface/gguf");
  const n = toNumber(fileType);
  const name = n === null ? undefined : (GGMLFileQuantizationType as unknown as Record<number, string | undefined>)[n];
  // Older files lack general.file_type; their names usually carry the label (model.Q4_0.gguf).
  return name ?? parseGGUFQuantLabel(basename(path)) ?? "unknown";
}
