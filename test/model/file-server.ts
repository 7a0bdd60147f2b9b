import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A real HTTP server on 127.0.0.1 for download tests: serves byte files with Range support
 * and a real Content-Length (node:http, because Bun.serve sends stream bodies chunked), JSON
 * answers and fixed statuses, and records every request with the bytes it wrote.
 */
export interface Served {
  path: string;
  query: string;
  range: string | null;
  authorization: string | null;
  status: number;
  bytes: number;
}

export interface FileRoute {
  body: Uint8Array;
  /** The first response stops after this many bytes and waits for `cutStalled()` or the client to leave. */
  stallOnceAfter?: number;
  /** Answer 200 with the whole file even when asked for a range. */
  ignoreRange?: boolean;
}

export interface FileServer {
  base: string;
  url(path: string): string;
  files: Map<string, FileRoute>;
  json: Map<string, unknown>;
  statuses: Map<string, number>;
  /** Path prefix → the Bearer token it needs (a gated repo): 401 without it, as Hugging Face answers. */
  tokens: Map<string, string>;
  /** Path → where a 302 sends the client (as Hugging Face sends file downloads to its CDN). */
  redirects: Map<string, string>;
  served: Served[];
  servedFor(path: string): Served[];
  /** Drops every stalled connection, as a failing network would. */
  cutStalled(): void;
  /** Lets every stalled response go on to the end. */
  releaseStalled(): void;
  stop(): Promise<void>;
}

const CHUNK = 64 * 1024;

export async function startFileServer(): Promise<FileServer> {
  const files = new Map<string, FileRoute>();
  const json = new Map<string, unknown>();
  const statuses = new Map<string, number>();
  const redirects = new Map<string, string>();
  const tokens = new Map<string, string>();
  const served: Served[] = [];
  const stalledOnce = new Set<string>();
  const stalled = new Map<ServerResponse, () => void>();

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    const range = req.headers.range ?? null;
    const entry: Served = { path, query: url.search, range, authorization: req.headers.authorization ?? null, status: 0, bytes: 0 };
    served.push(entry);
    const reply = (status: number, headers: Record<string, string>, body?: string) => {
      entry.status = status;
      res.writeHead(status, headers);
      res.end(body);
    };
    const needed = [...tokens].find(([prefix]) => path.startsWith(prefix))?.[1];
    if (needed !== undefined && req.headers.authorization !== `Bearer ${needed}`) return reply(401, { "content-type": "text/plain" }, "gated");
    const target = redirects.get(path);
    if (target) return reply(302, { location: target });
    const status = statuses.get(path);
    if (status) return reply(status, { "content-type": "text/plain" }, `status ${status}`);
    if (json.has(path)) return reply(200, { "content-type": "application/json" }, JSON.stringify(json.get(path)));
    const route = files.get(path);
    if (!route) return reply(404, { "content-type": "text/plain" }, "not found");

    const size = route.body.length;
    const m = range?.match(/^bytes=(\d+)-$/);
    const start = m && !route.ignoreRange ? Number(m[1]) : 0;
    if (start >= size && start > 0) return reply(416, { "content-range": `bytes */${size}` });
    const headers: Record<string, string> = { "content-length": String(size - start), "accept-ranges": "bytes", "content-type": "application/octet-stream" };
    if (start > 0) headers["content-range"] = `bytes ${start}-${size - 1}/${size}`;
    entry.status = start > 0 ? 206 : 200;
    res.writeHead(entry.status, headers);

    let stallAt = route.stallOnceAfter !== undefined && !stalledOnce.has(path) ? start + route.stallOnceAfter : Infinity;
    if (stallAt !== Infinity) stalledOnce.add(path);
    let at = start;
    let closed = false;
    res.on("close", () => {
      closed = true;
      stalled.delete(res);
    });
    const pump = () => {
      while (!closed && at < size) {
        if (at >= stallAt) {
          stalled.set(res, () => {
            stallAt = Infinity;
            pump();
          });
          return;
        }
        const end = Math.min(size, at + CHUNK, stallAt);
        const ok = res.write(route.body.subarray(at, end));
        entry.bytes += end - at;
        at = end;
        if (!ok) return void res.once("drain", pump);
      }
      if (!closed) res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    base,
    url: (path) => `${base}${path}`,
    files,
    json,
    statuses,
    tokens,
    redirects,
    served,
    servedFor: (path) => served.filter((s) => s.path === path),
    cutStalled: () => {
      for (const res of stalled.keys()) res.destroy();
      stalled.clear();
    },
    releaseStalled: () => {
      const resumes = [...stalled.values()];
      stalled.clear();
      for (const resume of resumes) resume();
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
