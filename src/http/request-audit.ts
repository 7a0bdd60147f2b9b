import type { Context } from "hono";
import { RbeeError } from "../protocol/errors.ts";
import { activeAuditSettings, audit, auditAdmits } from "../security/audit-log.ts";
import { auditAuthFailure } from "../security/audit-auth-failures.ts";
import { fingerprint } from "../security/api-token.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** Fingerprint of the token the request came with (set once it was accepted). */
    actorToken?: string;
  }
}

/** Heartbeats arrive every few seconds from every hive: recording each would flood the log. */
const HEARTBEAT = "/v1/hives/heartbeat";

const presented = (c: Context) => c.req.header("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1].trim();

/** The peer's address, as Bun.serve sees it (hono passes the server as `env`). */
function source(c: Context): string {
  const server = c.env as { requestIP?: (req: Request) => { address: string } | null } | undefined;
  return server?.requestIP?.(c.req.raw)?.address ?? "unknown";
}

/** Records a refused token (aggregated per source and code). */
export function auditRefusedToken(c: Context, role: string, code: string): void {
  const token = presented(c);
  auditAuthFailure({ source: source(c), code, role, method: c.req.method, path: c.req.path, ...(token ? { actor_token: fingerprint(token) } : {}) });
}

/** 503 for a change the audit log cannot record, under `failure_action: refuse`. */
export const auditUnavailable = () =>
  new RbeeError("AUDIT_UNAVAILABLE", "the audit log cannot be written, and this daemon refuses changes it cannot record", "Free space where the audit log lives (the daemon's log names it), or set the audit failure_action to continue.", 503);

/**
 * After authentication: notes who asked, and records a request that changes things.
 * Reads, heartbeats and job submissions are left out here (a job is recorded as
 * `job_created`, when its operation is not a read). Under `refuse`, a change that cannot
 * be recorded is answered 503.
 */
export function auditAcceptedRequest(c: Context, role: string, authenticated: boolean): void {
  const token = authenticated ? presented(c) : undefined;
  if (token) c.set("actorToken", fingerprint(token));
  const method = c.req.method;
  if (method === "GET" || method === "HEAD" || method === "OPTIONS" || c.req.path === HEARTBEAT || (method === "POST" && c.req.path === "/v1/jobs")) return;
  const recorded = token ? audit("auth_success", { role, method, path: c.req.path, actor_token: c.get("actorToken") }) : auditAdmits();
  if (!recorded && activeAuditSettings()?.failureAction === "refuse") throw auditUnavailable();
}
