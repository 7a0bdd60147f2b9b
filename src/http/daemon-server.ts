import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { RbeeError } from "../protocol/errors.ts";
import { VERSION } from "../version.ts";
import { errorBody, errorResponse } from "./errors.ts";
import { corsMiddleware } from "./cors.ts";
import { narrate } from "../narration/narrate.ts";
import { audit } from "../security/audit-log.ts";
import { checkBearer, fingerprint, loadApiToken } from "../security/api-token.ts";

export type Role = "queen" | "hive";

export interface DaemonOptions {
  role: Role;
  port: number;
  bind: string;
  /** Route groups to mount (job API, capabilities, OpenAI API …). */
  routes: Hono[];
  /** Extra fields for /v1/info (hive id …). */
  info?: () => Record<string, unknown>;
  /** Runs before the server stops: cancel jobs, stop workers. */
  onShutdown?: () => Promise<void>;
  maxBodyBytes?: number;
  /** Other tokens a route accepts besides the daemon's own (hive tokens for heartbeats). */
  extraTokens?: (path: string) => string[];
  /** Browser origins allowed to call this daemon (CORS); none by default, "*" for any. */
  corsOrigins?: string[];
  /** The API token; by default RBEE_API_TOKEN or the token file. "" turns auth off. */
  token?: string;
}

export interface RunningDaemon {
  url: string;
  port: number;
  /** Resolves once the daemon has fully stopped (shutdown request, signal or stop()). */
  stopped: Promise<void>;
  stop: () => Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** Starts a daemon's HTTP server: health, info, shutdown, and the given route groups. */
export function startDaemon(opts: DaemonOptions): RunningDaemon {
  const token = opts.token === undefined ? loadApiToken() : opts.token || undefined;
  if (!LOOPBACK.test(opts.bind) && !token) {
    throw new RbeeError("INSECURE_BIND", `refusing to listen on ${opts.bind} without an API token`, "Set RBEE_API_TOKEN, or bind 127.0.0.1.");
  }
  const startedAt = Date.now();
  const app = new Hono();
  app.onError((err, c) => errorResponse(c, err));
  app.notFound((c) => c.json(errorBody("NOT_FOUND", `no route ${c.req.method} ${c.req.path}`, 404, "See the API section of the README for the routes."), 404));
  // Before the token check: a browser's preflight never carries the token.
  app.use("*", corsMiddleware(opts.corsOrigins ?? []));
  app.use("*", bodyLimit({ maxSize: opts.maxBodyBytes ?? 1024 * 1024, onError: (c) => c.json(errorBody("BODY_TOO_LARGE", "the request body is too large", 413), 413) }));

  app.get("/health", (c) => c.json({ status: "ok", role: opts.role }));
  // Every route but /health needs the token, when the daemon has one.
  if (token) {
    narrate("auth", `API token required (${fingerprint(token)})`);
    app.use("*", async (c, next) => {
      const where = { role: opts.role, method: c.req.method, path: c.req.path };
      try {
        // Anthropic's clients send the key as `x-api-key`; everything else as a bearer token.
        const apiKey = c.req.header("x-api-key");
        checkBearer(c.req.header("authorization") ?? (apiKey ? `Bearer ${apiKey}` : undefined), [token, ...(opts.extraTokens?.(c.req.path) ?? [])]);
      } catch (err) {
        audit("auth_failure", { ...where, code: (err as RbeeError).code });
        throw err;
      }
      // Reads and heartbeats would flood the log; changes are what an audit needs.
      if (c.req.method !== "GET" && c.req.path !== "/v1/hives/heartbeat") audit("auth_success", where);
      await next();
    });
  }
  app.get("/v1/info", (c) =>
    c.json({ role: opts.role, version: VERSION, pid: process.pid, port: server.port, started_at: startedAt, ...(opts.info?.() ?? {}) }),
  );
  app.post("/v1/shutdown", (c) => {
    // Answer first, then stop: the caller learns the request was taken.
    setTimeout(() => void stop(), 10);
    return c.json({ status: "shutting_down" }, 202);
  });
  for (const routes of opts.routes) app.route("/", routes);

  const server = Bun.serve({
    port: opts.port,
    hostname: opts.bind,
    // SSE streams are long and may be quiet; streams send their own pings.
    idleTimeout: 0,
    fetch: app.fetch,
  });

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      try {
        await opts.onShutdown?.();
      } finally {
        server.stop(true);
        resolveStopped();
      }
    })());

  const host = opts.bind.includes(":") ? `[${opts.bind}]` : opts.bind;
  return { url: `http://${host}:${server.port}`, port: server.port!, stopped, stop };
}
