import OpenAI from "openai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestQueen, type TestQueen } from "../helpers/queen-harness.ts";
import { createDemoModel, openAiClient, storyOf } from "../helpers/openai-queen.ts";

describe("the queen's OpenAI-compatible API, through the official openai client", () => {
  let t: TestQueen;
  let client: OpenAI;

  beforeEach(async () => {
    t = await startTestQueen();
    client = openAiClient(t.queen);
    await createDemoModel(t);
  });
  afterEach(async () => {
    await t?.stop();
  });

  it("lists the hives' models in OpenAI's list shape", async () => {
    const page = await client.models.list();
    expect(page.data).toEqual([{ id: "demo-tiny", object: "model", created: expect.any(Number), owned_by: "rbee" }]);
    expect((await client.models.retrieve("demo-tiny")).id).toBe("demo-tiny");
  });

  it("streams a chat completion as chunks that end, with a final usage chunk", async () => {
    const { data: stream, response } = await client.chat.completions
      .create({ model: "demo-tiny", messages: [{ role: "user", content: "Hello" }], max_tokens: 8, seed: 1, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.model === "demo-tiny")).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text.length).toBeGreaterThan(0);
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(1);
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish?.choices[0].finish_reason).toBe("length");
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: expect.any(Number), completion_tokens: 8, total_tokens: last.usage!.prompt_tokens + 8, prompt_tokens_details: { cached_tokens: 0 } });

    // The request was a real queen job, with its story.
    const jobId = response.headers.get("x-rbee-job-id")!;
    expect(t.queen.registry.require(jobId).info()).toMatchObject({ operation: "infer", state: "completed" });
    expect(storyOf(t.queen, jobId).join("\n")).toMatch(/starting a worker for demo-tiny on hive localhost/);
  });

  it("answers a chat completion in one body with choices and usage", async () => {
    const done = await client.chat.completions.create({
      model: "demo-tiny",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "Hi there" }] },
      ],
      max_completion_tokens: 6,
      temperature: 0,
    });
    expect(done.object).toBe("chat.completion");
    expect(done.choices).toHaveLength(1);
    expect(done.choices[0].message.role).toBe("assistant");
    expect(done.choices[0].message.content!.length).toBeGreaterThan(0);
    expect(done.choices[0].finish_reason).toBe("length");
    expect(done.usage).toMatchObject({ completion_tokens: 6 });
    expect(done.usage!.total_tokens).toBe(done.usage!.prompt_tokens + 6);
    expect(done.usage!.prompt_tokens).toBeGreaterThan(0);
  });

  it("serves legacy text completions, whole and streamed; the same seed gives the same text", async () => {
    const whole = await client.completions.create({ model: "demo-tiny", prompt: "Once upon a time", max_tokens: 10, seed: 7, stop: ["\u0001"] });
    expect(whole.object).toBe("text_completion");
    expect(whole.usage?.completion_tokens).toBe(10);

    const stream = await client.completions.create({ model: "demo-tiny", prompt: "Once upon a time", max_tokens: 10, seed: 7, stream: true });
    let text = "";
    let reason: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      reason = chunk.choices[0]?.finish_reason ?? reason;
    }
    expect(text).toBe(whole.choices[0].text);
    expect(reason).toBe("length");
  });

  it("an unknown model is a 404 model_not_found the client raises as NotFoundError", async () => {
    for (const stream of [false, true]) {
      const err = await client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "hi" }], stream }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      const e = err as InstanceType<typeof OpenAI.NotFoundError>;
      expect(e.status).toBe(404);
      expect(e.code).toBe("model_not_found");
      expect(e.type).toBe("invalid_request_error");
      expect(e.message).toMatch(/rbee model download/);
    }
    await expect(client.models.retrieve("no-such-model")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("a bad parameter is a 400 naming the parameter, and starts no job", async () => {
    const before = t.queen.registry.list().length;
    const err = (await client.chat.completions.create({ model: "demo-tiny", messages: [{ role: "user", content: "hi" }], temperature: 9 }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe("temperature");
    expect(err.type).toBe("invalid_request_error");
    const n = (await client.chat.completions.create({ model: "demo-tiny", messages: [{ role: "user", content: "hi" }], n: 2 }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(n.param).toBe("n");
    const raw = await fetch(`${t.queen.url}/v1/chat/completions`, { method: "POST", body: "{oops" });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { error: { code: string } }).error.code).toBe("invalid_json");
    expect(t.queen.registry.list().length).toBe(before);
  });
});
