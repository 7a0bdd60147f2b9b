import { z } from "zod";
import { describeZodError } from "../../http/errors.ts";
import { RbeeError } from "../../protocol/errors.ts";
import { Operation, type ChatMessage, type OperationOf } from "../../protocol/operations.ts";
import { planTools, renderCall, renderResult, withToolSystem, type ToolChoice, type ToolPlan } from "../tools/tool-calling.ts";

/** What Anthropic's clients send to /v1/messages (and count_tokens, without max_tokens). */
const TextBlock = z.object({ type: z.literal("text"), text: z.string() }).loose();
const Block = z.union([
  TextBlock,
  z.object({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: z.unknown() }).loose(),
  z.object({ type: z.literal("tool_result"), tool_use_id: z.string(), content: z.union([z.string(), z.array(TextBlock)]).optional(), is_error: z.boolean().optional() }).loose(),
  z.object({ type: z.string() }).loose(),
]);
const Message = z.object({ role: z.enum(["user", "assistant"]), content: z.union([z.string(), z.array(Block)]) });
const Tool = z.object({ name: z.string().min(1).max(128), description: z.string().optional(), input_schema: z.record(z.string(), z.unknown()) }).loose();
const Choice = z.object({ type: z.enum(["auto", "any", "tool", "none"]), name: z.string().optional(), disable_parallel_tool_use: z.boolean().optional() });
const ignored = z.unknown().optional();

export const MessagesRequest = z
  .object({
    model: z.string().min(1).max(256),
    max_tokens: z.number().int(),
    messages: z.array(Message).min(1),
    system: z.union([z.string(), z.array(TextBlock)]).optional(),
    stop_sequences: z.array(z.string()).optional(),
    stream: z.boolean().optional(),
    temperature: z.number().optional(),
    top_p: z.number().optional(),
    top_k: z.number().int().optional(),
    tools: z.array(Tool).optional(),
    tool_choice: Choice.optional(),
    metadata: ignored,
    service_tier: ignored,
  })
  .strict();
export type MessagesRequest = z.infer<typeof MessagesRequest>;
export const CountRequest = MessagesRequest.omit({ max_tokens: true, stream: true }).extend({ max_tokens: z.number().int().optional() }).strict();

export interface AnthropicInfer {
  op: OperationOf<"infer">;
  model: string;
  stream: boolean;
  tools?: ToolPlan;
}

export function parseAnthropic<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const unknown = parsed.error.issues.find((i) => i.code === "unrecognized_keys");
  if (unknown && "keys" in unknown) throw new RbeeError("UNSUPPORTED_PARAMETER", `${(unknown.keys as string[])[0]}: this parameter is not supported by rbee`);
  throw new RbeeError("INVALID_REQUEST", describeZodError(parsed.error));
}

const CHOICES: Record<string, ToolChoice> = { auto: "auto", any: "required", none: "none" };

/** A Messages request as the one `infer` operation: system first, blocks flattened to text. */
export function messagesToInfer(req: Omit<MessagesRequest, "max_tokens" | "stream"> & { max_tokens?: number; stream?: boolean }): AnthropicInfer {
  const tools = (req.tools ?? []).map((t) => ({ name: t.name, description: t.description, parameters: t.input_schema }));
  const choice = req.tool_choice ? (req.tool_choice.type === "tool" ? { name: req.tool_choice.name ?? "" } : CHOICES[req.tool_choice.type]!) : "auto";
  const plan = planTools(tools, choice);
  const system = typeof req.system === "string" ? req.system : (req.system ?? []).map((b) => b.text).join("\n");
  const turns = req.messages.map(toMessage);
  const messages = withToolSystem([...(system ? [{ role: "system" as const, content: system }] : []), ...turns], plan, (content): ChatMessage => ({ role: "system", content }));
  const candidate = {
    operation: "infer",
    model: req.model,
    messages,
    max_tokens: req.max_tokens ?? 1,
    ...(req.temperature != null ? { temperature: req.temperature } : {}),
    ...(req.top_p != null ? { top_p: req.top_p } : {}),
    ...(req.top_k != null ? { top_k: req.top_k } : {}),
    ...(req.stop_sequences?.length ? { stop: req.stop_sequences } : {}),
    ...(plan ? { format: plan.format } : {}),
  };
  const parsed = Operation.safeParse(candidate);
  if (!parsed.success) throw new RbeeError("INVALID_REQUEST", describeZodError(parsed.error));
  return { op: parsed.data as OperationOf<"infer">, model: req.model, stream: req.stream === true, ...(plan ? { tools: plan } : {}) };
}

function toMessage(m: z.infer<typeof Message>, i: number): ChatMessage {
  if (typeof m.content === "string") return { role: m.role, content: m.content };
  const parts = m.content.map((b, j) => {
    const block = b as { type: string; text?: string; name?: string; input?: unknown; tool_use_id?: string; content?: string | { text: string }[] };
    if (block.type === "text") return block.text ?? "";
    if (block.type === "tool_use") return renderCall({ name: block.name ?? "", arguments: block.input ?? {} });
    if (block.type === "tool_result") {
      const text = typeof block.content === "string" ? block.content : (block.content ?? []).map((t) => t.text).join("\n");
      return renderResult(text, undefined, block.tool_use_id);
    }
    throw new RbeeError("UNSUPPORTED", `messages.${i}.content.${j}: ${block.type} blocks are not supported (text, tool_use, tool_result)`);
  });
  return { role: m.role, content: parts.join("\n") };
}
