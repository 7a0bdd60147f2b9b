import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { rbeePaths } from "./paths.ts";

/** rbee's own settings file, `config.json` in the config folder. Every field is optional. */
export const RbeeConfig = z
  .object({
    /** Append-only audit log of security-relevant events. */
    audit: z.boolean().optional(),
    /** A worker that sends nothing for this long mid-request is hung ("30s", "2m"; default 30s). */
    worker_stall_timeout: z.union([z.string(), z.number()]).optional(),
    /** A download that receives no bytes for this long retries, resuming (default 30s). */
    download_stall_timeout: z.union([z.string(), z.number()]).optional(),
    /** A request body that has not fully arrived after this long gets 408 (default 10s). */
    body_timeout: z.union([z.string(), z.number()]).optional(),
    /** Folders a hive may copy local model files from (besides its import folder). */
    model_folders: z.array(z.string().min(1)).optional(),
  })
  .strict();
export type RbeeConfig = z.infer<typeof RbeeConfig>;

export const configFile = () => join(rbeePaths().config, "config.json");

export function readConfig(): RbeeConfig {
  let text: string;
  try {
    text = readFileSync(configFile(), "utf8");
  } catch {
    return {};
  }
  return RbeeConfig.parse(JSON.parse(text));
}
