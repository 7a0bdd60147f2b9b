import { z } from "zod";

export const Level = z.enum(["debug", "info", "warn", "error"]);
export type Level = z.infer<typeof Level>;

export const Progress = z.object({
  current: z.number(),
  total: z.number().optional(),
  unit: z.string().optional(),
});
export type Progress = z.infer<typeof Progress>;

/** One line of a job's story. `origin` names the hive a relayed line came from. */
export const NarrationEvent = z.object({
  kind: z.literal("narration"),
  ts: z.number(),
  level: Level,
  actor: z.string(),
  action: z.string(),
  human: z.string(),
  job_id: z.string().optional(),
  correlation_id: z.string().optional(),
  origin: z.string().optional(),
  progress: Progress.optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
});
export type NarrationEvent = z.infer<typeof NarrationEvent>;

/** One generated token's log-probability, and the likeliest alternatives (when asked for). */
export const TokenLogprob = z.object({ token: z.string(), logprob: z.number(), top: z.array(z.object({ token: z.string(), logprob: z.number() })).optional() });
export type TokenLogprob = z.infer<typeof TokenLogprob>;

/** Inference text, in order; with `logprobs` when the request asked (the tokens behind this text). */
export const TokenEvent = z.object({ kind: z.literal("token"), text: z.string(), index: z.number().optional(), logprobs: z.array(TokenLogprob).optional() });
export type TokenEvent = z.infer<typeof TokenEvent>;

/** The operation's structured answer (a model list, a status report …). */
export const ResultEvent = z.object({ kind: z.literal("result"), result: z.unknown() });
export type ResultEvent = z.infer<typeof ResultEvent>;

export const JobEvent = z.discriminatedUnion("kind", [NarrationEvent, TokenEvent, ResultEvent]);
export type JobEvent = z.infer<typeof JobEvent>;

/** How a job stream ends: the original rbee's markers, sent as `data:` lines. */
export const DONE = "[DONE]";
export const CANCELLED = "[CANCELLED]";
export const ERROR_PREFIX = "[ERROR]";
