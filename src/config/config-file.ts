import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { rbeePaths } from "./paths.ts";

/** The audit log's settings (src/security/audit-settings.ts reads them, the environment wins). */
export const AuditConfig = z
  .object({
    enabled: z.boolean().optional(),
    /** What a daemon does when the log cannot be written (auditd's disk_full_action). */
    failure_action: z.enum(["continue", "refuse"]).optional(),
    /** Rotate the log once it would grow past this many bytes. */
    max_file_bytes: z.number().int().min(1024).optional(),
    /** Rotated files kept; older ones are deleted (the seal remembers where the chain starts). */
    keep_files: z.number().int().min(1).max(1000).optional(),
    /** Repeated auth failures from one source are counted in one record per window. */
    auth_failure_window_s: z.number().positive().max(86_400).optional(),
  })
  .strict();
export type AuditConfig = z.infer<typeof AuditConfig>;

/** rbee's own settings file, `config.json` in the config folder. Every field is optional. */
export const RbeeConfig = z
  .object({
    /** Append-only audit log of security-relevant events: `true`, or its settings (then on unless `enabled: false`). */
    audit: z.preprocess((v) => (typeof v === "boolean" ? { enabled: v } : v), AuditConfig).optional(),
    /** A worker that sends nothing for this long mid-request is hung ("30s", "2m"; default 30s). */
    worker_stall_timeout: z.union([z.string(), z.number()]).optional(),
    /** A download that receives no bytes for this long retries, resuming (default 30s). */
    download_stall_timeout: z.union([z.string(), z.number()]).optional(),
    /** A request body that has not fully arrived after this long gets 408 (default 10s). */
    body_timeout: z.union([z.string(), z.number()]).optional(),
    /** Folders a hive may copy local model files from (besides its import folder). */
    model_folders: z.array(z.string().min(1)).optional(),
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
