import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback HTTP server that sends a file's first bytes and then holds the connection
 * open without sending more: a download that never finishes (cancel and stall tests).
 * It records the Range header of every request it gets.
 */
export async function startStallingServer(totalBytes = 10 * 1024 * 1024, headBytes = 64 * 1024): Promise<{ url: string; ranges: (string | null)[]; stop: () => Promise<void> }> {
  const ranges: (string | null)[] = [];
  const server: Server = createServer((req, res) => {
    ranges.push(req.headers.range ?? null);
    res.writeHead(200, { "content-length": String(totalBytes), "content-type": "application/octet-stream" });
    const head = Buffer.alloc(headBytes);
    head.write("GGUF", 0, "latin1");
    head.writeUInt32LE(3, 4);
    res.write(head);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/stalled.gguf`,
    ranges,
    stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
