import { RbeeError } from "../protocol/errors.ts";
import type { SshConnection } from "./connection.ts";

export interface TunnelRequest {
  method: "GET" | "POST";
  path: string;
  token?: string;
  body?: unknown;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface TunnelResponse {
  status: number;
  body: string;
}

/**
 * One HTTP/1.1 request to 127.0.0.1:port on the remote machine, through an SSH direct-tcpip
 * channel: the hive binds loopback there, and nothing listens on this machine for it.
 * Small by design (health, info, shutdown): one request per channel, Connection: close.
 */
export async function requestOverSsh(conn: SshConnection, port: number, req: TunnelRequest): Promise<TunnelResponse> {
  const timeoutMs = req.timeoutMs ?? 5_000;
  const channel = await conn.forwardOut("127.0.0.1", port, { signal: req.signal, timeoutMs });
  const payload = req.body === undefined ? "" : JSON.stringify(req.body);
  const head = [
    `${req.method} ${req.path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    "Connection: close",
    "Accept: application/json",
    ...(req.token ? [`Authorization: Bearer ${req.token}`] : []),
    ...(req.method === "POST" ? ["Content-Type: application/json", `Content-Length: ${Buffer.byteLength(payload)}`] : []),
  ].join("\r\n");

  return new Promise<TunnelResponse>((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (err: unknown, res?: TunnelResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onAbort);
      channel.close();
      err ? reject(err) : resolve(res!);
    };
    const onAbort = () => finish(req.signal?.reason ?? new RbeeError("CANCELLED", "request cancelled", undefined, 499));
    const timer = setTimeout(
      () => finish(new RbeeError("HIVE_TIMEOUT", `${req.method} ${req.path} on ${conn.host.alias}:${port} timed out after ${timeoutMs / 1000} s`, undefined, 504)),
      timeoutMs,
    );
    req.signal?.addEventListener("abort", onAbort, { once: true });
    channel.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const res = parseResponse(buf, false);
      if (res) finish(undefined, res);
    });
    channel.on("close", () => {
      const res = parseResponse(buf, true);
      finish(res ? undefined : new RbeeError("HIVE_BAD_RESPONSE", `${conn.host.alias}:${port} closed the connection without an HTTP answer`, undefined, 502), res);
    });
    channel.on("error", (err: Error) => finish(new RbeeError("FORWARD_FAILED", `tunnel to ${conn.host.alias}:${port} failed: ${err.message}`, undefined, 502)));
    channel.end(`${head}\r\n\r\n${payload}`);
  });
}

/** Parses a complete response (Content-Length, chunked, or until close); undefined while incomplete. */
function parseResponse(buf: Buffer, ended: boolean): TunnelResponse | undefined {
  const split = buf.indexOf("\r\n\r\n");
  if (split < 0) return undefined;
  const lines = buf.subarray(0, split).toString("latin1").split("\r\n");
  const status = Number(lines[0].split(" ")[1]);
  const headers = new Map(lines.slice(1).map((l) => [l.slice(0, l.indexOf(":")).trim().toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
  const rest = buf.subarray(split + 4);
  const length = headers.get("content-length");
  if (length !== undefined) {
    return rest.length >= Number(length) ? { status, body: rest.subarray(0, Number(length)).toString("utf8") } : undefined;
  }
  if (headers.get("transfer-encoding")?.toLowerCase() === "chunked") {
    const body = dechunk(rest);
    return body !== undefined ? { status, body } : undefined;
  }
  return ended ? { status, body: rest.toString("utf8") } : undefined;
}

function dechunk(data: Buffer): string | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf("\r\n", at);
    if (eol < 0) return undefined;
    const size = parseInt(data.subarray(at, eol).toString("latin1"), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return Buffer.concat(parts).toString("utf8");
    if (data.length < eol + 2 + size + 2) return undefined;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** Parses a JSON body, or explains which endpoint answered what. */
export function jsonBody<T>(res: TunnelResponse, what: string): T {
  try {
    return JSON.parse(res.body) as T;
  } catch {
    throw new RbeeError("HIVE_BAD_RESPONSE", `${what} answered HTTP ${res.status} with a body that is not JSON`, undefined, 502);
  }
}
