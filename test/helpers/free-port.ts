import { createServer, type AddressInfo } from "node:net";

/** A port that was free a moment ago (the OS picks it; we release it for the test to use). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
