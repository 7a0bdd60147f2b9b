import { afterEach, describe, expect, it } from "vitest";
import { startQueen, type RunningQueen } from "../../src/queen/start-queen.ts";
import { startDaemon } from "../../src/http/daemon-server.ts";
import { DaemonClient } from "../../src/keeper/daemon-client.ts";
import { RbeeError } from "../../src/protocol/errors.ts";

const TOKEN = "s3cret-token-for-tests";
const routes: [string, string, string?][] = [
  ["GET", "/v1/info"],
  ["GET", "/v1/jobs"],
  ["POST", "/v1/jobs", '{"operation":"status"}'],
  ["GET", "/v1/jobs/job-x"],
  ["GET", "/v1/jobs/job-x/stream"],
  ["DELETE", "/v1/jobs/job-x"],
  ["GET", "/v1/capabilities"],
  ["POST", "/v1/hives/heartbeat", "{}"],
  ["GET", "/v1/models"],
  ["POST", "/v1/chat/completions", '{"model":"m","messages":[{"role":"user","content":"hi"}]}'],
  ["POST", "/v1/completions", '{"model":"m","prompt":"hi"}'],
  ["POST", "/v1/messages", '{"model":"m","max_tokens":4,"messages":[{"role":"user","content":"hi"}]}'],
  ["GET", "/api/tags"],
  ["POST", "/v1/embeddings", '{"model":"m","input":"hi"}'],
  ["POST", "/api/chat", '{"model":"m","messages":[]}'],
  ["GET", "/metrics"],
  ["POST", "/v1/shutdown"],
];

describe("bearer tokens on the queen", () => {
  let queen: RunningQueen | undefined;
  afterEach(async () => {
    await queen?.stop();
    delete process.env.RBEE_API_TOKEN;
  });

  it("every route but /health answers 401 without a token or with a wrong one", async () => {
    process.env.RBEE_API_TOKEN = TOKEN;
    queen = startQueen({ port: 0, bind: "127.0.0.1" });
    expect((await fetch(`${queen.url}/health`)).status).toBe(200);
    for (const [method, path, body] of routes) {
      const missing = await fetch(`${queen.url}${path}`, { method, body });
      expect([path, missing.status, ((await missing.json()) as { error: { code: string } }).error.code]).toEqual([path, 401, "MISSING_API_KEY"]);
      const wrong = await fetch(`${queen.url}${path}`, { method, body, headers: { authorization: "Bearer nope" } });
      expect([path, wrong.status, ((await wrong.json()) as { error: { code: string } }).error.code]).toEqual([path, 401, "INVALID_API_KEY"]);
    }
    // nothing was created or stopped by the refused requests
    expect(queen.registry.size).toBe(0);
    expect((await fetch(`${queen.url}/health`)).status).toBe(200);
  });

  it("the right token works, and the keeper sends RBEE_API_TOKEN", async () => {
    process.env.RBEE_API_TOKEN = TOKEN;
    queen = startQueen({ port: 0, bind: "127.0.0.1" });
    const client = new DaemonClient(queen.url);
    const { job_id } = await client.submit({ operation: "status" });
    const outcome = await client.stream(job_id, { onEvent: () => {} });
    expect(outcome.state).toBe("completed");
    await expect(new DaemonClient(queen.url, "wrong").list()).rejects.toMatchObject({ code: "INVALID_API_KEY", status: 401 });
    // Anthropic's clients send the key as x-api-key.
    expect((await fetch(`${queen.url}/v1/info`, { headers: { "x-api-key": TOKEN } })).status).toBe(200);
    expect((await fetch(`${queen.url}/v1/info`, { headers: { "x-api-key": "nope" } })).status).toBe(401);
  });

  it("without a token a daemon refuses to listen beyond loopback", () => {
    expect(() => startDaemon({ role: "queen", port: 0, bind: "0.0.0.0", routes: [], token: "" })).toThrow(RbeeError);
    expect(() => startDaemon({ role: "queen", port: 0, bind: "0.0.0.0", routes: [], token: "" })).toThrow(/without an API token/);
  });
});
