import type { ZodError, ZodType } from "zod";
import { describeZodError } from "../../http/errors.ts";
import { Operation, type ChatMessage, type OperationOf } from "../../protocol/operations.ts";
import { ParamError } from "./openai-errors.ts";
import { ChatCompletionRequest, CompletionRequest } from "./request-schemas.ts";

type InferOp = OperationOf<"infer">;

/** A request turned into the `infer` operation, with how to answer it. */
export interface InferRequest {
  op: InferOp;
  model: string;
  stream: boolean;
  includeUsage: boolean;
}

/**
 * Tokens generated when the client sets no limit. OpenAI's default is "until the model stops
 * or its context is full"; a worker stops at its context size anyway, so this only bounds it.
 */
export const DEFAULT_MAX_TOKENS = 4096;

/** Model ids as rbee names them (the infer operation's rule). */
const MODEL_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function chatToInfer(body: unknown): InferRequest {
  const req = parse(ChatCompletionRequest, body);
  if (req.n != null && req.n !== 1) throw new ParamError("UNSUPPORTED", "only n = 1 is supported", "n");
  if (req.logprobs) throw new ParamError("UNSUPPORTED", "logprobs are not supported", "logprobs");
  if (req.tools?.length) throw new ParamError("UNSUPPORTED", "tools (function calling) are not supported", "tools");
  if (req.response_format && req.response_format.type !== "text") throw new ParamError("UNSUPPORTED", `response_format ${req.response_format.type} is not supported; only text`, "response_format");
  const messages = req.messages.map((m, i): ChatMessage => ({ role: roleOf(m.role, i), content: textOf(m.content, i) }));
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  return build(req, { messages }, maxTokens, req.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens");
}

export function completionToInfer(body: unknown): InferRequest {
  const req = parse(CompletionRequest, body);
  if (req.n != null && req.n !== 1) throw new ParamError("UNSUPPORTED", "only n = 1 is supported", "n");
  if (req.logprobs != null) throw new ParamError("UNSUPPORTED", "logprobs are not supported", "logprobs");
  if (req.echo) throw new ParamError("UNSUPPORTED", "echo is not supported", "echo");
  if (req.suffix) throw new ParamError("UNSUPPORTED", "suffix (fill-in-the-middle) is not supported", "suffix");
  if (Array.isArray(req.prompt) && req.prompt.length !== 1) throw new ParamError("UNSUPPORTED", "give one prompt per request", "prompt");
  const prompt = normalizeNewlines(Array.isArray(req.prompt) ? req.prompt[0] : req.prompt);
  return build(req, { prompt }, req.max_tokens, "max_tokens");
}

function build(
  req: ChatCompletionRequest | CompletionRequest,
  input: { prompt: string } | { messages: ChatMessage[] },
  maxTokens: number | null | undefined,
  maxTokensParam: string,
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
    // Workers take a 32-bit seed; any integer maps onto one, the same integer always alike.
    ...(req.seed != null ? { seed: Number(BigInt.asUintN(32, BigInt(req.seed))) } : {}),
    ...(req.stop != null ? { stop: (typeof req.stop === "string" ? [req.stop] : req.stop).filter((s) => s.length > 0) } : {}),
  };
  const parsed = Operation.safeParse(candidate);
  if (!parsed.success) throw paramError(parsed.error, { max_tokens: maxTokensParam });
  return {
    op: parsed.data as InferOp,
    model: req.model,
    stream: req.stream === true,
    includeUsage: req.stream === true && req.stream_options?.include_usage === true,
  };
}

function parse<T>(schema: ZodType<T>, body: unknown): T {
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

function roleOf(role: string, i: number): ChatMessage["role"] {
  if (role === "system" || role === "developer") return "system";
  if (role === "user" || role === "assistant") return role;
  throw new ParamError("UNSUPPORTED", `messages[${i}]: role ${role} is not supported (system, developer, user, assistant)`, `messages[${i}].role`);
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
