import { z } from "zod";

/**
 * One model in a hive's catalog: the wire shape of `model list` / `model get` results.
 * Kept as a zod schema so daemons and clients parse the same truth.
 */
export const ModelRecord = z.object({
  id: z.string(),
  /** Canonical source: hf:ORG/REPO:FILE, a URL, the original local path, or demo:tiny. */
  source: z.string(),
  /** The model file, inside the hive's models folder. */
  path: z.string(),
  size_bytes: z.number().int().nonnegative(),
  sha256: z.string().nullable(),
  architecture: z.string(),
  parameters: z.number().nonnegative(),
  context_length: z.number().int().nullable(),
  quantization: z.string(),
  /** ISO 8601 time the model was added. */
  added_at: z.string(),
});
export type ModelRecord = z.infer<typeof ModelRecord>;
