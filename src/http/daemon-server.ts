import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { isUploadPath } from "../protocol/model-upload.ts";
import { RbeeError } from "../protocol/errors.ts";
import { VERSION } from "../version.ts";
import { errorBody, errorResponse } from "./errors.ts";
import { corsMiddleware } from "./cors.ts";
import { narrate } from "../narration/narrate.ts";
import { auditStatus, openAuditLog } from "../security/audit-log.ts";
import { flushAuthFailures } from "../security/audit-auth-failures.ts";
import { auditAcceptedRequest, auditRefusedToken } from "./request-audit.ts";
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

/** Shorter tokens are refused off loopback: they can be guessed. */
export const MIN_TOKEN_LENGTH = 16;

/** The daemon's token (option, else RBEE_API_TOKEN or the token file; "" turns auth off). */
export const daemonToken = (option?: string) => (option === undefined ? loadApiToken() : option || undefined);

/**
 * Refuses a bind that would expose a daemon without a real token. Called before anything
 * starts, so a refused start leaves no timer or worker behind.
 */
export function checkBind(bind: string, token: string | undefined): void {
  if (LOOPBACK.test(bind)) return;
  if (!token) throw new RbeeError("INSECURE_BIND", `refusing to listen on ${bind} without an API token`, "Set RBEE_API_TOKEN, or bind 127.0.0.1.");
  if (token.trim().length < MIN_TOKEN_LENGTH) {
    throw new RbeeError("WEAK_TOKEN", `refusing to listen on ${bind} with an API token shorter than ${MIN_TOKEN_LENGTH} characters`, "Use a long random token, e.g. RBEE_API_TOKEN=$(openssl rand -hex 32).");
  }
}

/** Starts a daemon's HTTP server: health, info, shutdown, and the given route groups. */
export function startDaemon(opts: DaemonOptions): RunningDaemon {
  const token = daemonToken(opts.token);
  checkBind(opts.bind, token);
  const startedAt = Date.now();
  openAuditLog();
  const app = new Hono();
  app.onError((err, c) => errorResponse(c, err));
  app.notFound((c) => c.json(errorBody("NOT_FOUND", `no route ${c.req.method} ${c.req.path}`, 404, "See the API section of the README for the routes."), 404));
  // Before the token check: a browser's preflight never carries the token.
  app.use("*", corsMiddleware(opts.corsOrigins ?? []));
  const limit = bodyLimit({ maxSize: opts.maxBodyBytes ?? 1024 * 1024, onError: (c) => c.json(errorBody("BODY_TOO_LARGE", "the request body is too large", 413), 413) });
  // A model upload streams to disk; every other body is read whole and stays small.
  app.use("*", (c, next) => (isUploadPath(c.req.path) ? next() : limit(c, next)));

  app.get("/health", (c) => c.json({ status: "ok", role: opts.role }));
  // Every route but /health needs the token, when the daemon has one.
  if (token) narrate("auth", `API token required (${fingerprint(token)})`);
  app.use("*", async (c, next) => {
    if (token) {
      try {
        // Anthropic's clients send the key as `x-api-key`; everything else as a bearer token.
        const apiKey = c.req.header("x-api-key");
        checkBearer(c.req.header("authorization") ?? (apiKey ? `Bearer ${apiKey}` : undefined), [token, ...(opts.extraTokens?.(c.req.path) ?? [])]);
      } catch (err) {
        auditRefusedToken(c, opts.role, (err as RbeeError).code);
        throw err;
      }
    }
    auditAcceptedRequest(c, opts.role, token !== undefined);
    await next();
  });
  app.get("/v1/info", (c) =>
    c.json({ role: opts.role, version: VERSION, pid: process.pid, port: server.port, started_at: startedAt, audit: auditStatus(), ...(opts.info?.() ?? {}) }),
  );
  app.post("/v1/shutdown", (c) => {
    // Answer first, then stop: the caller learns the request was taken.
    setTimeout(() => void stop(), 10);
    return c.json({ status: "shutting_down" }, 202);
  });
  for (const routes of opts.routes) app.route("/", routes);

  const server = listen(opts, app);

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      try {
        await opts.onShutdown?.();
      } finally {
        flushAuthFailures();
        server.stop(true);
        resolveStopped();
      }
    })());

  const host = opts.bind.includes(":") ? `[${opts.bind}]` : opts.bind;
  return { url: `http://${host}:${server.port}`, port: server.port!, stopped, stop };
}

function listen(opts: DaemonOptions, app: Hono): ReturnType<typeof Bun.serve> {
  try {
    return Bun.serve({
      port: opts.port,
      hostname: opts.bind,
      // SSE streams are long and may be quiet; streams send their own pings.
      idleTimeout: 0,
      // Model uploads are gigabytes (Bun's default cap is 128 MiB); every other route has its own 1 MiB limit.
      maxRequestBodySize: 2 ** 40,
      fetch: app.fetch,
    });
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    if (/in use|EADDRINUSE/i.test(message)) {
      throw new RbeeError("PORT_IN_USE", `port ${opts.port} on ${opts.bind} is already in use`, `Stop what listens there (\`rbee queen stop\` if it is a queen), or pick another port with --port.`);
    }
    if (/EADDRNOTAVAIL|assign requested address/i.test(message)) {
      throw new RbeeError("BIND_FAILED", `cannot listen on ${opts.bind}: no such address on this machine`, "Use 127.0.0.1, 0.0.0.0, or one of this machine's addresses with --bind.");
    }
    throw new RbeeError("LISTEN_FAILED", `cannot listen on ${opts.bind}:${opts.port}: ${message}`, "Check --bind and --port.");
  }
}
