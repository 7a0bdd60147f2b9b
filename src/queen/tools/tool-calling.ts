import { RbeeError } from "../../protocol/errors.ts";

/**
 * Function calling for any model, as llama-server's generic handler does it: the tools are
 * described in a system message and the answer is constrained by a JSON-schema grammar, so even
 * a model never trained for tools (or random weights) answers with a call that parses and
 * matches the function's parameters. The OpenAI, Ollama and Anthropic rooms all use this one
 * plan; the worker only sees messages and a `format`.
 */
export interface ToolSpec {
  name: string;
  description?: string;
  /** JSON schema of the arguments. */
  parameters: Record<string, unknown>;
}

/** auto: the model chooses; required: some tool; a name: that tool; none: no tools at all. */
export type ToolChoice = "auto" | "none" | "required" | { name: string };

export interface ToolPlan {
  choice: Exclude<ToolChoice, "none">;
  /** The system message that tells the model about the tools and the answer's shape. */
  system: string;
  /** The JSON schema the answer is constrained by. */
  format: Record<string, unknown>;
}

export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as JSON text (OpenAI's shape; parse for Ollama and Anthropic). */
  arguments: string;
}

const OPEN_OBJECT = { type: "object" } as const;

/** The plan for these tools and this choice; undefined when tools play no part. */
export function planTools(tools: readonly ToolSpec[], choice: ToolChoice = "auto"): ToolPlan | undefined {
  if (!tools.length || choice === "none") return undefined;
  const described = JSON.stringify(tools.map((t) => ({ name: t.name, description: t.description ?? "", parameters: t.parameters })));
  if (typeof choice === "object") {
    const tool = tools.find((t) => t.name === choice.name);
    if (!tool) throw new RbeeError("UNKNOWN_TOOL", `tool_choice names ${choice.name}, which is not among the tools (${tools.map((t) => t.name).join(", ")})`, "Name one of the tools you send.");
    return {
      choice,
      system: `You call the function ${tool.name}: ${tool.description ?? ""}\nAnswer with its arguments only, as one JSON object matching this schema: ${JSON.stringify(tool.parameters)}`,
      format: argumentsSchema(tool),
    };
  }
  const call = { oneOf: tools.map((t) => ({ type: "object", properties: { name: { const: t.name }, arguments: argumentsSchema(t) }, required: ["name", "arguments"], additionalProperties: false })) };
  const callShape = { type: "object", properties: { tool_call: call }, required: ["tool_call"], additionalProperties: false };
  const replyShape = { type: "object", properties: { response: { type: "string" } }, required: ["response"], additionalProperties: false };
  const intro = `You can call these functions: ${described}\nTo call one, answer with the JSON object {"tool_call": {"name": <function name>, "arguments": <its arguments>}}`;
  if (choice === "required") return { choice, system: `${intro}. You must call one.`, format: callShape };
  return { choice, system: `${intro}; to answer in words, answer with {"response": "<your answer>"}.`, format: { oneOf: [callShape, replyShape] } };
}

/** A function's parameters as a schema the grammar can hold (none: any object). */
function argumentsSchema(tool: ToolSpec): Record<string, unknown> {
  return Object.keys(tool.parameters).length ? tool.parameters : OPEN_OBJECT;
}

/**
 * The model's answer under a plan: tool calls, or text. Output that does not parse (cut short
 * by max_tokens) is returned as text, never dropped: an answer in words cut short gives the
 * words written so far.
 */
export function readToolAnswer(text: string, plan: ToolPlan, idPrefix = "call_"): { content: string | null; calls: ToolCall[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { content: typeof plan.choice === "object" ? text : (wordsCutShort(text) ?? text), calls: [] };
  }
  const id = `${idPrefix}${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;
  if (typeof plan.choice === "object") return { content: null, calls: [{ id, name: plan.choice.name, arguments: JSON.stringify(value) }] };
  const o = value as { tool_call?: { name?: unknown; arguments?: unknown }; response?: unknown };
  if (o.tool_call && typeof o.tool_call.name === "string") return { content: null, calls: [{ id, name: o.tool_call.name, arguments: JSON.stringify(o.tool_call.arguments ?? {}) }] };
  if (typeof o.response === "string") return { content: o.response, calls: [] };
  return { content: text, calls: [] };
}

/** The words of a `{"response": "…` answer that max_tokens cut short, or undefined. */
function wordsCutShort(text: string): string | undefined {
  const start = /^\s*\{\s*"response"\s*:\s*"/.exec(text);
  if (!start) return undefined;
  const rest = text.slice(start[0].length);
  // Cut inside an escape (at most `\uXXXX`) or after the closing quote: drop up to 6 characters.
  for (let end = rest.length; end >= Math.max(0, rest.length - 6); end--) {
    try {
      return JSON.parse(`"${rest.slice(0, end)}"`) as string;
    } catch {}
  }
  return undefined;
}

/** How an earlier call reads in the history the model sees: the same JSON it would write. */
export const renderCall = (call: { name: string; arguments: unknown }) => JSON.stringify({ tool_call: { name: call.name, arguments: typeof call.arguments === "string" ? safeParse(call.arguments) : call.arguments } });

/** How a tool's result reads in the history (as a user turn: templates know no tool role). */
export const renderResult = (content: string, name?: string, callId?: string) => `Result of the function call${name ? ` ${name}` : ""}${callId ? ` (${callId})` : ""}: ${content}`;

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Put the plan's system message first (after the client's own system message, if any). */
export function withToolSystem<M extends { role: string; content: string }>(messages: M[], plan: ToolPlan | undefined, make: (content: string) => M): M[] {
  if (!plan) return messages;
  const first = messages[0];
  if (first?.role === "system") return [make(`${first.content}\n\n${plan.system}`), ...messages.slice(1)];
  return [make(plan.system), ...messages];
}
