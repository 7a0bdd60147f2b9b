import { z } from "zod";
import { ModelFile } from "../protocol/model-copy.ts";

export { ModelFile } from "../protocol/model-copy.ts";

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
  /** The vision projector (mmproj) kept beside the model, when its repo has one. */
  mmproj: z.string().nullable().optional(),
  /** Every file of the model; absent on records older than this field (one file: `path`). */
  files: z.array(ModelFile).optional(),
  /** ISO 8601 time the model was added. */
  added_at: z.string(),
});
export type ModelRecord = z.infer<typeof ModelRecord>;
