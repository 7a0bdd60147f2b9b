import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { rbeePaths } from "./paths.ts";

/** rbee's own settings file, `config.json` in the config folder. Every field is optional. */
export const RbeeConfig = z
  .object({
    /** Append-only audit log of security-relevant events. */
    audit: z.boolean().optional(),
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
