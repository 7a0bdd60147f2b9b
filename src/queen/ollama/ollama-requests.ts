import { z } from "zod";
import { describeZodError } from "../../http/errors.ts";
import { RbeeError } from "../../protocol/errors.ts";
import { Operation, type ChatMessage, type OperationOf } from "../../protocol/operations.ts";
import { narrate } from "../../narration/narrate.ts";
import { planTools, renderCall, renderResult, withToolSystem, type ToolPlan } from "../tools/tool-calling.ts";
import { DEFAULT_MAX_TOKENS } from "../infer-request.ts";
import { parseKeepAlive } from "../../config/timeouts.ts";

/** What Ollama clients send to /api/chat and /api/generate (Ollama's own field names). */
const Options = z.record(z.string(), z.unknown());
const Format = z.union([z.literal("json"), z.literal(""), z.record(z.string(), z.unknown())]);
const Common = {
  model: z.string().min(1).max(256),
  stream: z.boolean().nullish(),
  format: Format.nullish(),
  options: Options.nullish(),
  keep_alive: z.union([z.string(), z.number()]).nullish(),
  think: z.unknown().optional(),
};
const ToolCall = z.object({ function: z.object({ name: z.string(), arguments: z.unknown() }) }).loose();
const Message = z.object({ role: z.string(), content: z.string().nullish(), images: z.array(z.string()).nullish(), tool_calls: z.array(ToolCall).nullish(), tool_name: z.string().nullish() }).loose();
const Tool = z.object({ type: z.literal("function"), function: z.object({ name: z.string().min(1), description: z.string().nullish(), parameters: z.record(z.string(), z.unknown()).nullish() }).loose() });

export const ChatRequest = z.object({ ...Common, messages: z.array(Message).default([]), tools: z.array(Tool).nullish() }).strict();
export const EmbedRequest = z.object({ model: z.string().min(1).max(256), input: z.union([z.string(), z.array(z.string()).min(1)]), truncate: z.boolean().nullish(), options: Options.nullish(), keep_alive: z.union([z.string(), z.number()]).nullish() }).strict();
export const GenerateRequest = z.object({ ...Common, prompt: z.string().nullish(), system: z.string().nullish(), raw: z.boolean().nullish(), suffix: z.string().nullish(), images: z.array(z.string()).nullish(), template: z.string().nullish(), context: z.array(z.number()).nullish() }).strict();

/** Ollama's options rbee honours, as infer fields. */
const OPTION_FIELDS: Record<string, string> = {
  temperature: "temperature",
  top_p: "top_p",
  top_k: "top_k",
  min_p: "min_p",
  seed: "seed",
  num_predict: "max_tokens",
  stop: "stop",
  repeat_penalty: "repeat_penalty",
  presence_penalty: "presence_penalty",
  frequency_penalty: "frequency_penalty",
  repeat_last_n: "repeat_last_n",
};
/** Options about how the engine runs, not what it writes: each worker decides those itself. */
const ENGINE_OPTIONS = new Set(["num_thread", "num_gpu", "main_gpu", "use_mmap", "use_mlock", "num_batch", "numa", "low_vram", "num_keep", "num_ctx"]);

export interface OllamaInfer {
  op: OperationOf<"infer">;
  model: string;
  stream: boolean;
  tools?: ToolPlan;
}

/**
 * An empty prompt (or no messages) is how Ollama clients load a model, and, with keep_alive 0,
 * unload it (`ollama stop`).
 */
export interface OllamaLoad {
  load: string;
  unload: boolean;
  keepAlive?: string | number;
}

/** Ollama model names carry a tag; rbee ids have none, so `:latest` means the model itself. */
export const modelIdOf = (name: string) => name.replace(/:latest$/, "");

export function parseOllama<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const unknown = parsed.error.issues.find((i) => i.code === "unrecognized_keys");
    if (unknown && "keys" in unknown) throw new RbeeError("UNSUPPORTED_PARAMETER", `${(unknown.keys as string[])[0]} is not supported by rbee`);
    throw new RbeeError("INVALID_REQUEST", describeZodError(parsed.error));
  }
  return parsed.data;
}

/** Thinking is a reasoning model's feature rbee does not separate out: asked for, it is refused. */
function refuseThink(think: unknown): void {
  if (think === true || typeof think === "string") throw new RbeeError("UNSUPPORTED", "think is not supported: rbee does not separate a model's reasoning from its answer");
}

export function chatToInfer(body: unknown): OllamaInfer | OllamaLoad {
  const req = parseOllama(ChatRequest, body);
  refuseThink(req.think);
  if (!req.messages.length) return loadOf(req);
  const tools = (req.tools ?? []).map((t) => ({ name: t.function.name, description: t.function.description ?? undefined, parameters: t.function.parameters ?? {} }));
  const plan = planTools(tools, "auto");
  if (plan && formatOf(req.format) !== undefined) throw new RbeeError("UNSUPPORTED", "tools cannot be combined with format: the tool call already fixes the answer's shape");
  const messages = withToolSystem(req.messages.map(toMessage), plan, (content): ChatMessage => ({ role: "system", content }));
  return build(req, { messages }, plan?.format, plan);
}

export function generateToInfer(body: unknown): OllamaInfer | OllamaLoad {
  const req = parseOllama(GenerateRequest, body);
  refuseThink(req.think);
  if (req.images?.length) throw new RbeeError("UNSUPPORTED", "images is not supported: rbee runs text models");
  if (req.suffix) throw new RbeeError("UNSUPPORTED", "suffix (fill-in-the-middle) is not supported");
  if (req.template) throw new RbeeError("UNSUPPORTED", "template is not supported: the model's own chat template is used");
  if (req.context?.length) throw new RbeeError("UNSUPPORTED", "context is not supported: send the conversation to /api/chat");
  if (!req.prompt) return loadOf(req);
  const input = req.raw ? { prompt: req.prompt } : { messages: [...(req.system ? [{ role: "system" as const, content: req.system }] : []), { role: "user" as const, content: req.prompt }] };
  return build(req, input, undefined, undefined);
}

function toMessage(m: z.infer<typeof Message>, i: number): ChatMessage {
  if (m.images?.length) throw new RbeeError("UNSUPPORTED", `messages[${i}].images is not supported: rbee runs text models`);
  const content = m.content ?? "";
  if (m.role === "system" || m.role === "user") return { role: m.role, content };
  if (m.role === "assistant") return { role: "assistant", content: [content, ...(m.tool_calls ?? []).map((c) => renderCall(c.function))].filter(Boolean).join("\n") };
  if (m.role === "tool") return { role: "user", content: renderResult(content, m.tool_name ?? undefined) };
  throw new RbeeError("UNSUPPORTED", `messages[${i}].role ${m.role} is not supported (system, user, assistant, tool)`);
}

const formatOf = (format: "json" | "" | Record<string, unknown> | null | undefined) => (format === "" || format == null ? undefined : format);

function build(req: { model: string; stream?: boolean | null; format?: "json" | "" | Record<string, unknown> | null; options?: Record<string, unknown> | null; keep_alive?: string | number | null }, input: { prompt: string } | { messages: ChatMessage[] }, toolFormat: Record<string, unknown> | undefined, plan: ToolPlan | undefined): OllamaInfer {
  const model = modelIdOf(req.model);
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(req.options ?? {})) {
    if (value == null) continue;
    if (ENGINE_OPTIONS.has(key)) {
      narrate("option_ignored", `options.${key} is left to the worker (it sets its own threads, layers and context)`, { level: "debug" });
      continue;
    }
    const field = OPTION_FIELDS[key];
    if (!field) throw new RbeeError("UNSUPPORTED_PARAMETER", `options.${key} is not supported by rbee`);
    fields[field] = key === "num_predict" && (value as number) < 0 ? DEFAULT_MAX_TOKENS : value;
  }
  const format = toolFormat ?? formatOf(req.format);
  const parsed = Operation.safeParse({ operation: "infer", model, ...input, max_tokens: DEFAULT_MAX_TOKENS, ...fields, ...(format !== undefined ? { format } : {}), ...keepAliveOf(req) });
  if (!parsed.success) throw new RbeeError("INVALID_REQUEST", describeZodError(parsed.error).replace(/^max_tokens/, "options.num_predict"));
  return { op: parsed.data as OperationOf<"infer">, model, stream: req.stream !== false, ...(plan ? { tools: plan } : {}) };
}

const loadOf = (req: { model: string; keep_alive?: string | number | null }): OllamaLoad => ({
  load: modelIdOf(req.model),
  unload: req.keep_alive != null && parseKeepAlive(req.keep_alive) === 0,
  ...(req.keep_alive != null ? { keepAlive: req.keep_alive } : {}),
});

/** Ollama's keep_alive, passed on as is: the worker unloads that long after the request. */
const keepAliveOf = (req: { keep_alive?: string | number | null }) => (req.keep_alive != null ? { keep_alive: req.keep_alive } : {});

/** /api/embed as the `embed` operation (truncation is not done: a text too long is refused). */
export function embedToOp(body: unknown): OperationOf<"embed"> {
  const req = parseOllama(EmbedRequest, body);
  const parsed = Operation.safeParse({ operation: "embed", model: modelIdOf(req.model), input: typeof req.input === "string" ? [req.input] : req.input, ...keepAliveOf(req) });
  if (!parsed.success) throw new RbeeError("INVALID_REQUEST", describeZodError(parsed.error));
  return parsed.data as OperationOf<"embed">;
}
