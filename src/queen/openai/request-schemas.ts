import { z } from "zod";

/**
 * What OpenAI clients send. Lenient on purpose: fields rbee does not use (user, metadata,
 * frequency_penalty …) are accepted and ignored, and `null` means "not set", as many
 * clients send it; fields whose meaning rbee cannot honour are refused in to-infer.ts.
 */
const ContentPart = z.object({ type: z.string(), text: z.string().optional() }).loose();

const Message = z
  .object({
    role: z.string(),
    content: z.union([z.string(), z.array(ContentPart)]).nullish(),
  })
  .loose();

const Sampling = {
  model: z.string().min(1, "give a model id (see GET /v1/models)").max(256),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).loose().nullish(),
  max_tokens: z.number().int().nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  top_k: z.number().int().nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  n: z.number().int().nullish(),
};

export const ChatCompletionRequest = z
  .object({
    ...Sampling,
    messages: z.array(Message).min(1, "give at least one message"),
    max_completion_tokens: z.number().int().nullish(),
    logprobs: z.boolean().nullish(),
    tools: z.array(z.unknown()).nullish(),
    response_format: z.object({ type: z.string() }).loose().nullish(),
  })
  .loose();
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

export const CompletionRequest = z
  .object({
    ...Sampling,
    prompt: z.union([z.string(), z.array(z.string())]),
    logprobs: z.number().int().nullish(),
    echo: z.boolean().nullish(),
    suffix: z.string().nullish(),
  })
  .loose();
export type CompletionRequest = z.infer<typeof CompletionRequest>;
