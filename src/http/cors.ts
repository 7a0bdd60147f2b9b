import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

/**
 * CORS for browser clients (web UIs calling the OpenAI, Ollama or Anthropic API). Only the
 * origins listed are allowed ("*" allows any); with none, preflights are still answered (204)
 * but carry no Access-Control-Allow-Origin, so browsers refuse the call. The token check runs
 * after this: a preflight never carries the token.
 */
export function corsMiddleware(origins: readonly string[]): MiddlewareHandler {
  const any = origins.includes("*");
  return cors({
    origin: (origin) => (any ? "*" : origins.includes(origin) ? origin : null),
    allowMethods: ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
    // Empty: the headers the preflight asks for are echoed back (authorization, x-api-key …).
    allowHeaders: [],
    exposeHeaders: ["x-rbee-job-id", "retry-after"],
    maxAge: 600,
  });
}

/** The allowed origins from `RBEE_CORS_ORIGINS` (comma-separated), else the configuration file. */
export function corsOriginsFrom(env: string | undefined, configured: readonly string[] | undefined): string[] {
  if (env !== undefined) return env.split(",").map((o) => o.trim()).filter(Boolean);
  return [...(configured ?? [])];
}
