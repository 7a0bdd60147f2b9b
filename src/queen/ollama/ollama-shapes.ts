import type { HiveModel } from "../model-catalog.ts";
import type { InferOutcome } from "../infer-job.ts";
import type { ToolCall } from "../tools/tool-calling.ts";

/** The Ollama API version whose shapes this room follows (what /api/version answers). */
export const OLLAMA_API_VERSION = "0.9.0";

/** 400K → "400K", 1.1e9 → "1.1B", as Ollama writes parameter sizes. */
function parameterSize(n = 0): string {
  for (const [unit, size] of [["B", 1e9], ["M", 1e6], ["K", 1e3]] as const) if (n >= size) return `${Number((n / size).toFixed(1))}${unit}`;
  return String(n);
}

export function details(m: HiveModel) {
  const family = m.architecture ?? "";
  return { parent_model: "", format: "gguf", family, families: family ? [family] : [], parameter_size: parameterSize(m.parameters), quantization_level: m.quantization ?? "" };
}

/** One entry of /api/tags. */
export const tagOf = (m: HiveModel) => ({ name: m.id, model: m.id, modified_at: m.added_at ?? new Date(0).toISOString(), size: m.size_bytes ?? 0, digest: m.sha256 ?? "", details: details(m) });

/** /api/show: what rbee knows of a model (no Modelfile: rbee has none). */
export function showOf(m: HiveModel) {
  const arch = m.architecture ?? "unknown";
  return {
    modelfile: "",
    parameters: "",
    template: "",
    details: details(m),
    model_info: { "general.architecture": arch, "general.parameter_count": m.parameters ?? 0, ...(m.context_length ? { [`${arch}.context_length`]: m.context_length } : {}) },
    capabilities: ["completion", "tools"],
    modified_at: m.added_at ?? new Date(0).toISOString(),
  };
}

const NS_PER_MS = 1e6;

/** The closing fields of a chat or generate answer: counts and durations (nanoseconds). */
export function finalFields(outcome: InferOutcome, startedAt: number, calls = 0) {
  const total = (Date.now() - startedAt) * NS_PER_MS;
  const ttft = (outcome.ttft_ms ?? 0) * NS_PER_MS;
  return {
    done: true,
    done_reason: calls ? "stop" : outcome.finish_reason === "length" ? "length" : "stop",
    total_duration: Math.round(total),
    load_duration: 0,
    prompt_eval_count: outcome.prompt_tokens ?? 0,
    prompt_eval_duration: Math.round(ttft),
    eval_count: outcome.tokens,
    eval_duration: Math.round(Math.max(0, total - ttft)),
  };
}

/** Ollama's tool calls carry the arguments as an object, not as JSON text. */
export const ollamaCalls = (calls: ToolCall[]) => calls.map((c) => ({ function: { name: c.name, arguments: JSON.parse(c.arguments) as unknown } }));
