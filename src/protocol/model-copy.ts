import { z } from "zod";

/**
 * Copying a model between hives through the queen. The source hive serves its files at
 * `GET {MODEL_FILES_PATH}/ID/INDEX` (its own token: only the queen calls it); the queen relays
 * them at `GET {MODEL_COPY_PATH}/COPY/INDEX` to the target, which presents a ticket good for
 * that one copy only. No hive ever holds another hive's token or the queen's.
 */
export const MODEL_FILES_PATH = "/v1/models/files";
export const MODEL_COPY_PATH = "/v1/model-copies";

/** One file of a model, named relative to the models folder (`ID.gguf`, or `ID/NAME.gguf` for a model in its own folder). */
export const ModelFile = z.object({
  name: z.string().min(1).max(512),
  size_bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The file workers load (the first shard of a sharded model), another shard, or a vision projector. */
  role: z.enum(["model", "shard", "mmproj"]),
});
export type ModelFile = z.infer<typeof ModelFile>;
