import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestQueen, type TestQueen } from "../helpers/queen-harness.ts";
import { startStallingServer } from "../helpers/slow-server.ts";

describe("X-Deadline", () => {
  let t: TestQueen;
  let source: Awaited<ReturnType<typeof startStallingServer>>;
  beforeEach(async () => {
    t = await startTestQueen();
    source = await startStallingServer();
  });
  afterEach(async () => {
    await t.stop();
    await source.stop();
  });

  const post = (deadline: string, body = { operation: "status" }) =>
    fetch(`${t.queen.url}/v1/jobs`, { method: "POST", body: JSON.stringify(body), headers: { "x-deadline": deadline } });

  it("a deadline already past answers 504 and creates no job; a malformed one 400", async () => {
    const past = await post(String(Date.now() - 1));
    expect(past.status).toBe(504);
    expect(((await past.json()) as { error: { code: string } }).error.code).toBe("DEADLINE_EXCEEDED");
    expect((await post("soon")).status).toBe(400);
    expect(t.queen.registry.size).toBe(0);
  });

  it("a job still running when its deadline comes is aborted with a clear error", async () => {
    const res = await post(String(Date.now() + 400), { operation: "model_download", model: source.url } as never);
    expect(res.status).toBe(201);
    const { job_id } = (await res.json()) as { job_id: string };
    const outcome = await t.client.stream(job_id, { onEvent: () => {} });
    expect(outcome).toMatchObject({ state: "failed" });
    expect(outcome.state === "failed" && outcome.error).toMatch(/deadline .* has passed/);
  });
});
