import { z } from "zod";
import { ConstraintFields } from "../protocol/constraints.ts";

export const ChatMessage = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/** Body of `POST /v1/inference`: a raw prompt or chat messages (exactly one of the two). */
export const InferenceRequest = z
  .object({
    prompt: z.string().optional(),
    messages: z.array(ChatMessage).min(1).optional(),
    max_tokens: z.number().int().positive().max(1_000_000).default(128),
    temperature: z.number().min(0).max(5).default(0.8),
    top_p: z.number().gt(0).max(1).optional(),
    top_k: z.number().int().nonnegative().optional(),
    min_p: z.number().min(0).max(1).optional(),
    seed: z.number().int().nonnegative().max(0xffffffff).optional(),
    stop: z.array(z.string().min(1)).max(16).optional(),
    ...ConstraintFields,
  })
  .strict()
  .refine((r) => (r.prompt === undefined) !== (r.messages === undefined), {
    message: "give exactly one of `prompt` or `messages`",
  })
  .refine((r) => r.format === undefined || r.grammar === undefined, { message: "give at most one of `format` or `grammar`" });
export type InferenceRequest = z.infer<typeof InferenceRequest>;

/** The `done` event's data. */
export interface InferenceDone {
  tokens: number;
  prompt_tokens: number;
  /** Prompt tokens the slot still held from its previous request (not evaluated again). */
  cached_tokens?: number;
  ttft_ms: number;
  tokens_per_s: number;
  finish_reason: "stop" | "length";
}
