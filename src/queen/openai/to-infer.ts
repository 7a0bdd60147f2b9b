import type { z, ZodError, ZodType } from "zod";
import { describeZodError } from "../../http/errors.ts";
import { Operation, type ChatMessage, type OperationOf } from "../../protocol/operations.ts";
import { ParamError } from "./openai-errors.ts";
import { ChatCompletionRequest, CompletionRequest, unknownParameter } from "./request-schemas.ts";
import { planTools, renderCall, renderResult, withToolSystem, type ToolPlan } from "../tools/tool-calling.ts";
import { RbeeError } from "../../protocol/errors.ts";
import { DEFAULT_MAX_TOKENS } from "../infer-request.ts";

type InferOp = OperationOf<"infer">;

/** A request turned into the `infer` operation, with how to answer it. */
export interface InferRequest {
  op: InferOp;
  model: string;
  stream: boolean;
  includeUsage: boolean;
  /** Log-probabilities were asked for. */
  logprobs?: boolean;
  /** Legacy completions count `text_offset` in the prompt and the answer together: where the answer starts. */
  textOffset?: number;
  /** When tools are in play: how to read the answer back into tool calls. */
  tools?: ToolPlan;
}


/** Model ids as rbee names them (the infer operation's rule). */
const MODEL_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function chatToInfer(body: unknown): InferRequest {
  const req = parse(ChatCompletionRequest, body);
  refuseCommon(req);
  if (req.top_logprobs != null && !req.logprobs) throw new ParamError("INVALID_REQUEST", "top_logprobs needs logprobs: true", "top_logprobs");
  const plan = toolPlan(req);
  if (plan && req.logprobs) throw new ParamError("UNSUPPORTED", "logprobs cannot be combined with tools", "logprobs");
  const rf = req.response_format;
  if (plan && ((rf && rf.type !== "text") || req.grammar)) throw new ParamError("UNSUPPORTED", "tools cannot be combined with response_format or grammar: the tool call already fixes the answer's shape", rf && rf.type !== "text" ? "response_format" : "grammar");
  const messages = withToolSystem(req.messages.map(toChatMessage), plan, (content): ChatMessage => ({ role: "system", content }));
  const format = plan?.format ?? (rf?.type === "json_object" ? "json" : rf?.type === "json_schema" ? (rf.json_schema.schema ?? "json") : undefined);
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  const logprobs = req.logprobs ? { logprobs: true, top_logprobs: req.top_logprobs ?? 0 } : {};
  const built = build(req, { messages }, maxTokens, req.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens", format, logprobs);
  return plan ? { ...built, tools: plan } : built;
}

export function completionToInfer(body: unknown): InferRequest {
  const req = parse(CompletionRequest, body);
  refuseCommon(req);
  if (req.logprobs != null && (req.logprobs < 0 || req.logprobs > 5)) throw new ParamError("INVALID_REQUEST", "logprobs must be from 0 to 5: how many likely alternatives to list per token", "logprobs");
  if (req.echo) throw new ParamError("UNSUPPORTED", "echo is not supported", "echo");
  if (req.suffix) throw new ParamError("UNSUPPORTED", "suffix (fill-in-the-middle) is not supported", "suffix");
  if (req.best_of != null && req.best_of !== 1) throw new ParamError("UNSUPPORTED", "only best_of = 1 is supported", "best_of");
  if (Array.isArray(req.prompt) && req.prompt.length !== 1) throw new ParamError("UNSUPPORTED", "give one prompt per request", "prompt");
  const prompt = normalizeNewlines(Array.isArray(req.prompt) ? req.prompt[0] : req.prompt);
  const logprobs = req.logprobs != null ? { logprobs: true, top_logprobs: req.logprobs } : {};
  return { ...build(req, { prompt }, req.max_tokens, "max_tokens", undefined, logprobs), textOffset: prompt.length };
}

/** Refusals both endpoints share: what rbee cannot honour is named, never ignored. */
function refuseCommon(req: ChatCompletionRequest | CompletionRequest): void {
  if (req.n != null && req.n !== 1) throw new ParamError("UNSUPPORTED", "only n = 1 is supported; send one request per choice (they run side by side on the worker's slots)", "n");
  if (req.logit_bias && Object.keys(req.logit_bias).length) throw new ParamError("UNSUPPORTED", "logit_bias is not supported", "logit_bias");
}

function toolPlan(req: ChatCompletionRequest): ToolPlan | undefined {
  const tools = (req.tools ?? []).map((t) => ({ name: t.function.name, description: t.function.description ?? undefined, parameters: t.function.parameters ?? {} }));
  if (req.tool_choice && req.tool_choice !== "none" && !tools.length) throw new ParamError("INVALID_REQUEST", "tool_choice needs tools", "tool_choice");
  const choice = typeof req.tool_choice === "object" && req.tool_choice ? { name: req.tool_choice.function.name } : (req.tool_choice ?? "auto");
  try {
    return planTools(tools, choice);
  } catch (err) {
    if (err instanceof RbeeError) throw new ParamError(err.code, err.message, "tool_choice");
    throw err;
  }
}

function build(
  req: ChatCompletionRequest | CompletionRequest,
  input: { prompt: string } | { messages: ChatMessage[] },
  maxTokens: number | null | undefined,
  maxTokensParam: string,
  format?: "json" | Record<string, unknown>,
  extra: Record<string, unknown> = {},
): InferRequest {
  if (!MODEL_ID.test(req.model)) throw new ParamError("MODEL_NOT_FOUND", `The model \`${req.model}\` does not exist. See GET /v1/models`, "model", 404);
  const candidate = {
    operation: "infer",
    model: req.model,
    ...input,
    max_tokens: maxTokens ?? DEFAULT_MAX_TOKENS,
    ...(req.temperature != null ? { temperature: req.temperature } : {}),
    ...(req.top_p != null ? { top_p: req.top_p } : {}),
    ...(req.top_k != null ? { top_k: req.top_k } : {}),
    ...(req.min_p != null ? { min_p: req.min_p } : {}),
    // Workers take a 32-bit seed; any integer maps onto one, the same integer always alike.
    ...(req.seed != null ? { seed: Number(BigInt.asUintN(32, BigInt(req.seed))) } : {}),
    ...(req.stop != null ? { stop: (typeof req.stop === "string" ? [req.stop] : req.stop).filter((s) => s.length > 0) } : {}),
    ...(req.presence_penalty != null ? { presence_penalty: req.presence_penalty } : {}),
    ...(req.frequency_penalty != null ? { frequency_penalty: req.frequency_penalty } : {}),
    ...(req.repeat_penalty != null ? { repeat_penalty: req.repeat_penalty } : {}),
    ...(req.repeat_last_n != null ? { repeat_last_n: req.repeat_last_n } : {}),
    ...(req.grammar != null ? { grammar: req.grammar } : {}),
    ...(req.keep_alive != null ? { keep_alive: req.keep_alive } : {}),
    ...(format !== undefined ? { format } : {}),
    ...extra,
  };
  const parsed = Operation.safeParse(candidate);
  if (!parsed.success) throw paramError(parsed.error, { max_tokens: maxTokensParam });
  return {
    op: parsed.data as InferOp,
    model: req.model,
    stream: req.stream === true,
    includeUsage: req.stream === true && req.stream_options?.include_usage === true,
    logprobs: extra.logprobs === true,
  };
}

/** A request body by its schema: an unknown parameter or a bad value is a 400 naming it. */
export function parse<T>(schema: ZodType<T> & z.ZodObject, body: unknown): T {
  const unknown = unknownParameter(schema, body);
  if (unknown) throw new ParamError("UNSUPPORTED_PARAMETER", `${unknown} is not supported by rbee`, unknown);
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw paramError(parsed.error);
  return parsed.data;
}

function paramError(error: ZodError, rename: Record<string, string> = {}): ParamError {
  const first = error.issues[0]?.path ?? [];
  const param = first.length ? first.map(String).join(".").replace(/\.(\d+)/g, "[$1]") : null;
  const top = param?.split(/[.[]/)[0];
  const named = top && rename[top] ? param!.replace(top, rename[top]) : param;
  return new ParamError("INVALID_REQUEST", describeZodError(error), named);
}

function toChatMessage(m: ChatCompletionRequest["messages"][number], i: number): ChatMessage {
  const role = m.role;
  if (role === "system" || role === "developer") return { role: "system", content: textOf(m.content, i) };
  if (role === "user") return { role, content: textOf(m.content, i) };
  if (role === "assistant") {
    const calls = (m.tool_calls ?? []).map((c) => renderCall(c.function));
    const text = m.content == null && calls.length ? "" : textOf(m.content, i);
    return { role, content: [text, ...calls].filter(Boolean).join("\n") };
  }
  // Chat templates know no tool role: a tool's result reaches the model as a user turn.
  if (role === "tool") return { role: "user", content: renderResult(textOf(m.content, i), m.name ?? undefined, m.tool_call_id ?? undefined) };
  throw new ParamError("UNSUPPORTED", `messages[${i}]: role ${role} is not supported (system, developer, user, assistant, tool)`, `messages[${i}].role`);
}

function textOf(content: string | { type: string; text?: string }[] | null | undefined, i: number): string {
  if (typeof content === "string") return normalizeNewlines(content);
  if (!content) throw new ParamError("INVALID_REQUEST", `messages[${i}]: content is missing`, `messages[${i}].content`);
  const parts = content.map((p) => {
    if (p.type !== "text" || typeof p.text !== "string") throw new ParamError("UNSUPPORTED", `messages[${i}]: only text content parts are supported, not ${p.type}`, `messages[${i}].content`);
    return p.text;
  });
  return normalizeNewlines(parts.join("\n"));
}

/** Windows line ends are ordinary text to a client, but a control character to the operation schema. */
const normalizeNewlines = (s: string) => s.replace(/\r\n?/g, "\n");
