import { z } from "zod";

/**
 * What OpenAI clients send. `null` means "not set", as many clients send it. Parameters that
 * do not change the answer (user, metadata, store …) are accepted and ignored; any other
 * parameter rbee does not know is refused with a 400 naming it (see unknownParameter), never
 * ignored in silence.
 */
const ContentPart = z.object({ type: z.string(), text: z.string().optional() }).loose();

const ToolCallIn = z.object({ id: z.string().optional(), type: z.string().optional(), function: z.object({ name: z.string(), arguments: z.string() }) }).loose();

const Message = z
  .object({
    role: z.string(),
    content: z.union([z.string(), z.array(ContentPart)]).nullish(),
    name: z.string().nullish(),
    tool_calls: z.array(ToolCallIn).nullish(),
    tool_call_id: z.string().nullish(),
  })
  .loose();

const Tool = z.object({
  type: z.literal("function"),
  function: z.object({ name: z.string().min(1).max(64), description: z.string().nullish(), parameters: z.record(z.string(), z.unknown()).nullish(), strict: z.boolean().nullish() }),
});

const ToolChoice = z.union([z.enum(["auto", "none", "required"]), z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) })]);

const ResponseFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({ name: z.string(), description: z.string().nullish(), schema: z.record(z.string(), z.unknown()).nullish(), strict: z.boolean().nullish() }),
  }),
]);

/** Parameters that change nothing rbee generates: accepted, ignored. */
const ignored = z.unknown().optional();
const HARMLESS = { user: ignored, metadata: ignored, store: ignored, service_tier: ignored, prompt_cache_key: ignored, safety_identifier: ignored };

const Sampling = {
  ...HARMLESS,
  model: z.string().min(1, "give a model id (see GET /v1/models)").max(256),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).loose().nullish(),
  max_tokens: z.number().int().nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  top_k: z.number().int().nullish(),
  min_p: z.number().nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  n: z.number().int().nullish(),
  presence_penalty: z.number().nullish(),
  frequency_penalty: z.number().nullish(),
  // llama-server's extensions, which local clients send.
  repeat_penalty: z.number().nullish(),
  repeat_last_n: z.number().int().nullish(),
  grammar: z.string().nullish(),
  logit_bias: z.record(z.string(), z.number()).nullish(),
  // rbee's (and Ollama's) extension: how long the worker stays loaded once idle ("5m", 0, -1).
  keep_alive: z.union([z.string(), z.number()]).nullish(),
};

export const ChatCompletionRequest = z.object({
  ...Sampling,
  messages: z.array(Message).min(1, "give at least one message"),
  max_completion_tokens: z.number().int().nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().nullish(),
  tools: z.array(Tool).nullish(),
  tool_choice: ToolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: ResponseFormat.nullish(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

export const CompletionRequest = z.object({
  ...Sampling,
  prompt: z.union([z.string(), z.array(z.string())]),
  logprobs: z.number().int().nullish(),
  echo: z.boolean().nullish(),
  suffix: z.string().nullish(),
  best_of: z.number().int().nullish(),
});
export type CompletionRequest = z.infer<typeof CompletionRequest>;

/** The first top-level parameter of `body` the schema does not know, if any. */
export function unknownParameter(schema: z.ZodObject, body: unknown): string | undefined {
  if (!body || typeof body !== "object" || Array.isArray(body)) return undefined;
  return Object.keys(body).find((k) => !(k in schema.shape));
}
