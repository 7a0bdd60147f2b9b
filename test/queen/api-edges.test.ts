import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { startTestQueen, type TestQueen } from "../helpers/queen-harness.ts";
import { openAiClient } from "../helpers/openai-queen.ts";

const preflight = (url: string, origin: string) =>
  fetch(url, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" } });

describe("the queen's edges: errors in OpenAI's shape on every route, CORS", () => {
  let t: TestQueen | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it("an unknown /v1 route is a 404 the openai client raises as NotFoundError, with OpenAI's fields", async () => {
    t = await startTestQueen();
    const err = await openAiClient(t.queen).batches.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    const e = err as InstanceType<typeof OpenAI.NotFoundError>;
    expect(e.message).toMatch(/no route GET \/v1\/batches/);
    expect(e.type).toBe("invalid_request_error");
    const body = (await (await fetch(`${t.queen.url}/v1/nope`)).json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ code: "NOT_FOUND", type: "invalid_request_error", param: null, message: expect.any(String) });
  });

  it("no origin is allowed by default: the preflight is answered but grants nothing", async () => {
    t = await startTestQueen();
    const res = await preflight(`${t.queen.url}/v1/chat/completions`, "http://evil.example");
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const get = await fetch(`${t.queen.url}/v1/models`, { headers: { origin: "http://evil.example" } });
    expect(get.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("a configured origin gets its preflight granted (methods, the headers it asked for) and its answers readable", async () => {
    t = await startTestQueen({ corsOrigins: ["http://localhost:3000"] });
    const res = await preflight(`${t.queen.url}/v1/chat/completions`, "http://localhost:3000");
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")).toMatch(/authorization/i);
    const get = await fetch(`${t.queen.url}/v1/models`, { headers: { origin: "http://localhost:3000" } });
    expect(get.status).toBe(200);
    expect(get.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(get.headers.get("access-control-expose-headers")).toContain("x-rbee-job-id");
    // Another origin is still refused.
    expect((await preflight(`${t.queen.url}/v1/models`, "http://other.example")).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("origins come from RBEE_CORS_ORIGINS, else config.json's cors_origins", async () => {
    const { corsOriginsFrom } = await import("../../src/http/cors.ts");
    expect(corsOriginsFrom(" http://a.example , http://b.example,", ["http://c.example"])).toEqual(["http://a.example", "http://b.example"]);
    expect(corsOriginsFrom(undefined, ["http://c.example"])).toEqual(["http://c.example"]);
    expect(corsOriginsFrom(undefined, undefined)).toEqual([]);
  });
});
