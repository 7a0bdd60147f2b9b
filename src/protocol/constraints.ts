import { z } from "zod";

/**
 * What shapes a generation beyond plain sampling, the same fields on the `infer` operation and
 * on a worker's `/v1/inference` body, so every API room asks for them alike:
 * - `format`: "json" (any JSON value, llama.cpp's JSON grammar) or a JSON schema the output
 *   must match (turned into a grammar by the worker); `grammar`: GBNF text as is.
 * - penalties as llama.cpp applies them over the last `repeat_last_n` tokens (default 64);
 * - what to report besides the text: log-probabilities.
 */
export const ConstraintFields = {
  format: z.union([z.literal("json"), z.record(z.string(), z.unknown())]).optional(),
  grammar: z.string().min(1).max(100_000).optional(),
  repeat_penalty: z.number().min(0).max(10).optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  repeat_last_n: z.number().int().min(0).max(4096).optional(),
  /** Report each token's log-probability, with the `top_logprobs` likeliest alternatives. */
  logprobs: z.boolean().optional(),
  top_logprobs: z.number().int().min(0).max(20).optional(),
};

export type Constraints = { [K in keyof typeof ConstraintFields]?: z.infer<(typeof ConstraintFields)[K]> };

export const CONSTRAINT_KEYS = Object.keys(ConstraintFields) as (keyof Constraints)[];

/** The constraint fields set on an object (to pass on to the next hop). */
export function constraintsOf(o: Constraints): Constraints {
  const out: Record<string, unknown> = {};
  for (const k of CONSTRAINT_KEYS) if (o[k] !== undefined) out[k] = o[k];
  return out as Constraints;
}
