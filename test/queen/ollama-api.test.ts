import { Ollama } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startTestQueen, type TestQueen } from "../helpers/queen-harness.ts";
import { createDemoModel } from "../helpers/openai-queen.ts";

describe("the Ollama API on the queen's port, through the official ollama client", () => {
  let t: TestQueen;
  let ollama: Ollama;
  beforeAll(async () => {
    t = await startTestQueen();
    ollama = new Ollama({ host: t.queen.url });
    await createDemoModel(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("list shows the hives' models; show describes one; version answers", async () => {
    const { models } = await ollama.list();
    expect(models).toEqual([expect.objectContaining({ name: "demo-tiny", model: "demo-tiny", size: expect.any(Number), details: expect.objectContaining({ format: "gguf", family: "llama" }) })]);
    expect(models[0]!.size).toBeGreaterThan(0);
    const shown = await ollama.show({ model: "demo-tiny:latest" });
    expect(shown.model_info).toMatchObject({ "general.architecture": "llama" });
    expect((await ollama.version()).version).toMatch(/^\d+\.\d+\.\d+$/);
    await expect(ollama.show({ model: "nope" })).rejects.toMatchObject({ status_code: 404, error: expect.stringMatching(/model "nope" not found/) });
  });

  it("chat streams NDJSON pieces and ends with the counts; ps then lists the running model", async () => {
    const stream = await ollama.chat({ model: "demo-tiny", messages: [{ role: "user", content: "Hello" }], stream: true, options: { num_predict: 8, seed: 1, temperature: 0.7 } });
    const parts: { content: string; done: boolean }[] = [];
    let last: Awaited<ReturnType<typeof ollama.chat>> | undefined;
    for await (const part of stream) {
      parts.push({ content: part.message.content, done: part.done });
      last = part;
    }
    expect(parts.filter((p) => p.content).length).toBeGreaterThan(1);
    expect(parts.slice(0, -1).every((p) => p.done === false)).toBe(true);
    expect(parts.at(-1)!.done).toBe(true);
    expect(last).toMatchObject({ model: "demo-tiny", done_reason: "length", eval_count: 8, prompt_eval_count: expect.any(Number) });
    expect(last!.prompt_eval_count).toBeGreaterThan(0);
    const { models } = await ollama.ps();
    expect(models.map((m) => m.name)).toEqual(["demo-tiny"]);
  });

  it("chat and generate answer whole too; the same seed gives the same text", async () => {
    const whole = await ollama.chat({ model: "demo-tiny", messages: [{ role: "user", content: "Hi" }], stream: false, options: { num_predict: 6, seed: 4 } });
    expect(whole.done).toBe(true);
    expect(whole.eval_count).toBe(6);
    const a = await ollama.generate({ model: "demo-tiny", prompt: "Once", stream: false, options: { num_predict: 10, seed: 9 } });
    let streamed = "";
    for await (const part of await ollama.generate({ model: "demo-tiny", prompt: "Once", stream: true, options: { num_predict: 10, seed: 9 } })) streamed += part.response;
    expect((a.response ?? "").length).toBeGreaterThan(0);
    expect(streamed).toBe(a.response);
  });

  it("format takes a JSON schema: the answer validates with zod", async () => {
    const Pet = z.object({ name: z.string().max(12), kind: z.enum(["cat", "dog"]), vaccinated: z.boolean() }).strict();
    const done = await ollama.chat({ model: "demo-tiny", messages: [{ role: "user", content: "A pet?" }], format: z.toJSONSchema(Pet), stream: false, options: { num_predict: 200, seed: 2 } });
    expect(Pet.parse(JSON.parse(done.message.content))).toBeTruthy();
  });

  it("tools (auto) come back as tool_calls with object arguments, or as words", async () => {
    const tools = [{ type: "function", function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string", maxLength: 12 } }, required: ["city"] } } }];
    const seen = new Set<string>();
    for (let seed = 1; seed <= 12 && seen.size < 2; seed++) {
      const done = await ollama.chat({ model: "demo-tiny", messages: [{ role: "user", content: "Weather in Oslo?" }], tools, stream: false, options: { num_predict: 200, seed } });
      if (done.message.tool_calls?.length) {
        expect(done.message.tool_calls[0]!.function).toMatchObject({ name: "get_weather", arguments: { city: expect.any(String) } });
        seen.add("call");
      } else {
        // Answered in words: the {"response": …} text, unwrapped.
        expect(done.message.content).not.toMatch(/^\{"response"/);
        seen.add("words");
      }
    }
    // Over these seeds the (random) model chose both ways, each read back.
    expect([...seen].sort()).toEqual(["call", "words"]);
  });

  it("an empty request loads the model; keep_alive 0 unloads it (ollama stop), and ps lists it no more", async () => {
    const unload = async () => {
      const unloaded = await ollama.generate({ model: "demo-tiny:latest", prompt: "", keep_alive: 0, stream: false });
      expect(unloaded).toMatchObject({ done: true, done_reason: "unload", response: "" });
      expect((await ollama.ps()).models).toEqual([]);
    };
    await unload();
    const loaded = await ollama.chat({ model: "demo-tiny", messages: [], keep_alive: -1, stream: false });
    expect(loaded).toMatchObject({ done: true, done_reason: "load", message: { content: "" } });
    const [running] = (await ollama.ps()).models;
    expect(running?.name).toBe("demo-tiny");
    // Kept for good: ps says a day from now.
    expect(new Date(running!.expires_at).getTime() - Date.now()).toBeGreaterThan(3600_000);
    await unload();
    await expect(ollama.generate({ model: "nope", prompt: "", keep_alive: 0 })).rejects.toMatchObject({ status_code: 404 });
  });

  it("an unknown option is refused, naming it", async () => {
    await expect(ollama.chat({ model: "demo-tiny", messages: [{ role: "user", content: "x" }], stream: false, options: { mirostat: 2 } })).rejects.toMatchObject({ status_code: 400, error: expect.stringMatching(/options\.mirostat/) });
    await expect(ollama.chat({ model: "demo-tiny", messages: [{ role: "user", content: "x" }], stream: false, think: true })).rejects.toMatchObject({ status_code: 400, error: expect.stringMatching(/^think/) });
    await expect(ollama.chat({ model: "no-such", messages: [{ role: "user", content: "x" }], stream: false })).rejects.toMatchObject({ status_code: 404 });
  });

  it("pull downloads through a model_download job, streaming its status; a library name is refused with the way out", async () => {
    const statuses: string[] = [];
    for await (const part of await ollama.pull({ model: "demo:tiny", stream: true })) statuses.push(part.status);
    expect(statuses[0]).toBe("pulling manifest");
    expect(statuses.at(-1)).toBe("success");
    expect((await ollama.list()).models.map((m) => m.name)).toContain("demo-tiny");
    // Ollama's spelling for Hugging Face maps onto rbee's sources.
    const { sourceOf } = await import("../../src/queen/ollama/ollama-pull.ts");
    expect(sourceOf("hf.co/TheBloke/TinyLlama-GGUF")).toBe("hf:TheBloke/TinyLlama-GGUF");
    expect(sourceOf("hf.co/TheBloke/TinyLlama-GGUF:tiny.Q4_0.gguf")).toBe("hf:TheBloke/TinyLlama-GGUF:tiny.Q4_0.gguf");
    // Ollama's quant tags pick the quant, as `ollama pull hf.co/…:Q4_K_M` does.
    expect(sourceOf("hf.co/TheBloke/TinyLlama-GGUF:Q4_K_M")).toBe("hf:TheBloke/TinyLlama-GGUF:Q4_K_M");
    await expect(ollama.pull({ model: "llama3.2" })).rejects.toMatchObject({ status_code: 400, error: expect.stringMatching(/hf\.co\/ORG\/REPO/) });
  });
});
