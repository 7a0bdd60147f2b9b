import { connect } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

const TOKEN = "slow-body-test-token-0123456789";

/** Sends the headers and the first bytes of a body, then nothing: the answer and how long it took. */
function trickle(url: string, path: string): Promise<{ head: string; ms: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(Number(port), hostname, () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"operation":`);
    });
    let got = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      got += chunk;
      if (got.includes("\r\n\r\n")) {
        socket.destroy();
        resolve({ head: got, ms: performance.now() - started });
      }
    });
    socket.on("error", reject);
    setTimeout(() => (socket.destroy(), reject(new Error(`no answer within 15 s: ${got}`))), 15_000);
  });
}

describe("compiled rbee: a slow authenticated body", () => {
  let home: ReturnType<typeof tempHome>;
  let queen: Daemon;
  beforeEach(async () => {
    home = tempHome();
    queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home.home, RBEE_API_TOKEN: TOKEN, RBEE_BODY_TIMEOUT: "1s" });
  });
  afterEach(async () => {
    await queen?.stop();
    home.cleanup();
  });

  it.each(["/v1/jobs", "/v1/chat/completions"])("a body trickled to %s times out with 408 after the body timeout", async (path) => {
    const { head, ms } = await trickle(queen.url, path);
    expect(head).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(8_000);
    // the daemon still serves
    const res = await fetch(`${queen.url}/v1/jobs`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ operation: "status" }) });
    expect(res.status).toBe(201);
  });
});
