import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { rbeePaths } from "./paths.ts";

/** rbee's own settings file, `config.json` in the config folder. Every field is optional. */
export const RbeeConfig = z
  .object({
    /** Append-only audit log of security-relevant events. */
    audit: z.boolean().optional(),
    /** Browser origins allowed to call the queen's APIs (CORS), e.g. "http://localhost:3000"; "*" for any. */
    cors_origins: z.array(z.string().min(1).max(512)).max(64).optional(),
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
