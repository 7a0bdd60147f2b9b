import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { RbeeError } from "../protocol/errors.ts";
import { bodyTimeoutMs } from "../config/timeouts.ts";

/**
 * RFC 6750: every 401 names the scheme it wants, and says whether a token came and was wrong
 * (`error="invalid_token"`) or none came at all.
 */
export function challengeHeaders(err: RbeeError): Record<string, string> {
  if (err.status !== 401) return {};
  return { "www-authenticate": err.code === "INVALID_API_KEY" ? 'Bearer realm="rbee", error="invalid_token"' : 'Bearer realm="rbee"' };
}

/** OpenAI's error `type` for an HTTP status. */
export function errorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/**
 * Every error a daemon answers has the same shape: `{error: {code, message, hint?}}`, plus
 * OpenAI's `type` and `param`, so an OpenAI client that hits any route (a typo'd path, a
 * missing token, a body too large) reads the error as it reads OpenAI's own.
 */
export function errorBody(code: string, message: string, status: number, hint?: string) {
  return { error: { code, message, ...(hint ? { hint } : {}), type: errorType(status), param: null } };
}

export function errorResponse(c: Context, err: unknown): Response {
  if (err instanceof HTTPException) {
    const status = err.status;
    const code = status === 413 ? "BODY_TOO_LARGE" : status === 401 ? "UNAUTHORIZED" : "HTTP_ERROR";
    if (status === 401) c.header("www-authenticate", 'Bearer realm="rbee"');
    return c.json(errorBody(code, err.message || "request rejected", status), status);
  }
  const error = RbeeError.from(err);
  // Busy, not broken: tell the client when to come back.
  if (error.status === 503) c.header("retry-after", "1");
  for (const [name, value] of Object.entries(challengeHeaders(error))) c.header(name, value);
  // The rest of a body that timed out is not worth waiting for on this connection.
  if (error.status === 408) c.header("connection", "close");
  return c.json(errorBody(error.code, error.message, error.status, error.hint), error.status as 400);
}

/** Turns a zod failure into one readable line per problem, with where it is. */
export function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length ? issue.path.join(".") : "body";
      if (issue.code === "invalid_union" && "discriminator" in issue) return `${where}: unknown or missing value`;
      const options = "options" in issue && Array.isArray(issue.options) ? ` (accepted: ${issue.options.join(", ")})` : "";
      return `${where}: ${issue.message}${options}`;
    })
    .join("; ");
}

/**
 * The request body as text; 408 BODY_TIMEOUT when it has not all arrived within the body
 * timeout (RBEE_BODY_TIMEOUT, default 10 s): a client that sends headers and then trickles
 * the body must not hold a request, and its memory, forever.
 */
export async function readBodyText(c: Context, timeoutMs = bodyTimeoutMs()): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RbeeError("BODY_TIMEOUT", `the request body did not arrive within ${timeoutMs / 1000} s`, "Send the whole body at once.", 408)), timeoutMs);
  });
  try {
    return await Promise.race([c.req.text(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a JSON body, answering clear errors for missing, late or malformed JSON. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await readBodyText(c);
  if (!text.trim()) throw new RbeeError("EMPTY_BODY", "the request body is empty", "Send a JSON object.");
  try {
    return JSON.parse(text);
  } catch {
    throw new RbeeError("INVALID_JSON", "the request body is not valid JSON", "Send a JSON object.");
  }
}
