import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import { localTokenPath } from "../ssh/hive-token.ts";

/**
 * The hives this keeper installed (`rbee hive install` keeps each one's token here), so
 * `rbee hive list` can show one the queen has not heard from yet as installed and stopped.
 */
export function installedHiveAliases(env: NodeJS.ProcessEnv = process.env): string[] {
  try {
    return readdirSync(dirname(localTokenPath("localhost", env))).filter((name) => !name.includes(".tmp-"));
  } catch {
    return [];
  }
}
