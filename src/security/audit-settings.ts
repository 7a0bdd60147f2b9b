import { ZodError } from "zod";
import { configFile, readConfig, type AuditConfig } from "../config/config-file.ts";
import { RbeeError } from "../protocol/errors.ts";
import { describeZodError } from "../http/errors.ts";

export type FailureAction = "continue" | "refuse";

export interface AuditSettings {
  enabled: boolean;
  failureAction: FailureAction;
  maxFileBytes: number;
  keepFiles: number;
  authFailureWindowMs: number;
}

/** auditd's defaults: 8 MiB files, 5 of them kept. */
export const AUDIT_DEFAULTS = { failureAction: "continue", maxFileBytes: 8 * 1024 * 1024, keepFiles: 5, authFailureWindowMs: 60_000 } as const;

/**
 * How the audit log behaves, from config.json (`"audit": true` or `"audit": {…}`) and the
 * environment (RBEE_AUDIT*, which wins). Read once per daemon (resetAudit re-reads).
 */
export function auditSettings(env: NodeJS.ProcessEnv = process.env): AuditSettings {
  let audit: AuditConfig | undefined;
  try {
    audit = readConfig().audit;
  } catch (err) {
    // A typo must not switch auditing off silently: the daemon refuses to start instead.
    const why = err instanceof ZodError ? describeZodError(err) : (err as Error).message;
    throw new RbeeError("INVALID_CONFIG", `${configFile()}: ${why}`, "Fix the file (the audit settings are listed in the README, under Security), or remove it.");
  }
  // `"audit": true`, or an object that does not say `"enabled": false`, switches the log on.
  const file: AuditConfig = audit ? { ...audit, enabled: audit.enabled !== false } : {};
  const action = env.RBEE_AUDIT_FAILURE_ACTION;
  return {
    enabled: env.RBEE_AUDIT === "1" ? true : env.RBEE_AUDIT === "0" ? false : file.enabled === true,
    failureAction: action === "refuse" || action === "continue" ? action : (file.failure_action ?? AUDIT_DEFAULTS.failureAction),
    maxFileBytes: positive(env.RBEE_AUDIT_MAX_BYTES) ?? file.max_file_bytes ?? AUDIT_DEFAULTS.maxFileBytes,
    keepFiles: positive(env.RBEE_AUDIT_KEEP) ?? file.keep_files ?? AUDIT_DEFAULTS.keepFiles,
    authFailureWindowMs: (positive(env.RBEE_AUDIT_AUTH_WINDOW_S) ?? file.auth_failure_window_s ?? AUDIT_DEFAULTS.authFailureWindowMs / 1000) * 1000,
  };
}

function positive(value: string | undefined): number | undefined {
  const n = Number(value);
  return value && Number.isFinite(n) && n > 0 ? n : undefined;
}
