import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { Ollama } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modelConfigFile } from "../../src/config/model-config.ts";
import { startTestQueen, type TestQueen } from "../helpers/queen-harness.ts";
import { createDemoModel, openAiClient, storyOf } from "../helpers/openai-queen.ts";

type WorkerRow = { worker_id: string; model: string; context_size?: number; chat_template?: string };

/**
 * models.json on a running queen: aliases in every API and model list, edits that take effect
 * with the next request, per-model defaults reaching the workers it starts, and requests
 * that need more context than a worker has.
 */
describe("model config: aliases and per-model defaults on a running queen", () => {
  let t: TestQueen;
  let client: OpenAI;
  let ollama: Ollama;
  const writeConfig = (config: unknown) => {
    mkdirSync(dirname(modelConfigFile()), { recursive: true });
    writeFileSync(modelConfigFile(), typeof config === "string" ? config : JSON.stringify(config));
  };
  const workers = async () => (await t.run({ operation: "worker_list" })).result as WorkerRow[];
  const stopWorkers = async () => {
    for (const w of await workers()) await t.run({ operation: "worker_stop", hive_id: "localhost", worker_id: w.worker_id });
  };
  const chat = (model: string, extra: Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming> = {}) =>
    client.chat.completions.create({ model, messages: [{ role: "user", content: "Hello" }], max_tokens: 4, ...extra }).withResponse();

  beforeAll(async () => {
    t = await startTestQueen();
    client = openAiClient(t.queen);
    ollama = new Ollama({ host: t.queen.url });
    await createDemoModel(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("given `model alias tiny demo-tiny`, the OpenAI, Ollama and Anthropic routes answer for tiny; OpenAI and Ollama list it", async () => {
    const set = await t.run({ operation: "model_alias", name: "tiny", model: "demo-tiny" });
    expect(set.result).toEqual([{ alias: "tiny", model: "demo-tiny" }]);
    expect(JSON.parse(readFileSync(modelConfigFile(), "utf8"))).toEqual({ aliases: { tiny: "demo-tiny" } });

    expect((await client.models.list()).data.map((m) => m.id)).toEqual(["demo-tiny", "tiny"]);
    expect((await client.models.retrieve("tiny")).id).toBe("tiny");
    const { data, response } = await chat("tiny");
    expect(data.model).toBe("tiny");
    expect(data.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(storyOf(t.queen, response.headers.get("x-rbee-job-id")!)).toContain("tiny is an alias of demo-tiny");

    expect((await ollama.list()).models.map((m) => m.name)).toEqual(["demo-tiny", "tiny"]);
    const answer = await ollama.chat({ model: "tiny", messages: [{ role: "user", content: "Hi" }], stream: false, options: { num_predict: 3 } });
    expect(answer).toMatchObject({ model: "tiny", done: true, eval_count: 3 });
    const anthropic = new Anthropic({ baseURL: t.queen.url, apiKey: "unused", maxRetries: 0, timeout: 60_000 });
    const message = await anthropic.messages.create({ model: "tiny", max_tokens: 3, messages: [{ role: "user", content: "Hi" }] });
    expect(message).toMatchObject({ model: "tiny", usage: { output_tokens: 3 } });

    const removed = await t.run({ operation: "model_alias", name: "tiny", remove: true });
    expect(removed.result).toEqual([]);
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(["demo-tiny"]);
    await expect(chat("tiny")).rejects.toMatchObject({ status: 404, code: "model_not_found" });
    const again = await t.run({ operation: "model_alias", name: "tiny", remove: true });
    expect(again.outcome.state).toBe("failed");
    expect(again.lines.join("\n")).toMatch(/no alias named "tiny"/);
    const shadow = await t.run({ operation: "model_alias", name: "demo-tiny", model: "other" });
    expect(shadow.outcome).toMatchObject({ state: "failed", error: expect.stringMatching(/demo-tiny is a model's own id/) });
    const early = await t.run({ operation: "model_alias", name: "later", model: "not-yet" });
    expect(early.result).toEqual([{ alias: "later", model: "not-yet" }]);
    expect(early.lines).toContain("no online hive has not-yet yet: the alias works once one does (`rbee model download …`)");
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(["demo-tiny"]);
    await t.run({ operation: "model_alias", name: "later", remove: true });
  });

  it("edits to models.json take effect with the next request; a broken file is a clear error and changes nothing", async () => {
    // Greedy sampling as the model's default: the same request gives the same text without a seed.
    writeConfig({ aliases: { small: "demo-tiny" }, models: { "demo-tiny": { sampling: { temperature: 0 } } } });
    const first = await chat("small", { max_tokens: 12 });
    const second = await chat("demo-tiny", { max_tokens: 12 });
    expect(first.data.model).toBe("small");
    expect(second.data.choices[0]!.message.content).toBe(first.data.choices[0]!.message.content);
    expect(storyOf(t.queen, second.response.headers.get("x-rbee-job-id")!)).toContain("sampling defaults for demo-tiny: temperature=0");

    const broken = '{"aliases": {"small": "demo-tiny",}}';
    writeConfig(broken);
    await expect(chat("small")).rejects.toMatchObject({ status: 500, code: "model_config_invalid", message: expect.stringMatching(/models\.json is not valid JSON/) });
    const refused = await t.run({ operation: "model_alias", name: "other", model: "demo-tiny" });
    expect(refused.outcome.state).toBe("failed");
    expect(readFileSync(modelConfigFile(), "utf8")).toBe(broken);

    writeConfig({ aliases: { small: "demo-tiny" }, models: { "demo-tiny": { chat_template: "no-such-wrapper" } } });
    await expect(client.models.list()).rejects.toMatchObject({ status: 500, code: "model_config_invalid", message: expect.stringMatching(/unknown chat template "no-such-wrapper"/) });
    writeConfig({});
  });

  it("a model's context and chat template from models.json reach the workers the queen starts, and those spawned by hand", async () => {
    await stopWorkers();
    writeConfig({ models: { "demo-tiny": { context: 256, chat_template: "chatml" } } });
    await chat("demo-tiny");
    expect(await workers()).toEqual([expect.objectContaining({ model: "demo-tiny", context_size: 256, chat_template: "ChatML" })]);
    // `rbee worker spawn` by hand resolves aliases and takes the same defaults where it gives none.
    writeConfig({ aliases: { small: "demo-tiny" }, models: { "demo-tiny": { context: 256, chat_template: "chatml" } } });
    const byHand = await t.run({ operation: "worker_spawn", hive_id: "localhost", model: "small", slots: 1 });
    expect(byHand.result).toMatchObject({ model: "demo-tiny", context_size: 256, chat_template: "ChatML" });
    await t.run({ operation: "worker_stop", hive_id: "localhost", worker_id: (byHand.result as WorkerRow).worker_id });
    writeConfig({});
  });

  it("a request that needs more context than a worker has gets a worker that fits, or a clear error", async () => {
    // Given the 256-token worker of the test before: max_tokens 600 cannot fit in it.
    const [small] = await workers();
    expect(small).toMatchObject({ context_size: 256 });
    const { data, response } = await chat("demo-tiny", { max_tokens: 600, stop: null });
    expect(data.usage!.completion_tokens).toBeGreaterThan(0);
    const story = storyOf(t.queen, response.headers.get("x-rbee-job-id")!);
    expect(story.find((l) => l.includes("tokens of context per slot"))).toMatch(/no worker for demo-tiny has 60\d tokens of context per slot/);
    // The default context is the model's training context (2048) when memory allows.
    const big = (await workers()).find((w) => w.worker_id !== small!.worker_id);
    expect(big).toMatchObject({ context_size: 2048 });

    // A prompt the queen's byte guess fits in 256 tokens but the tokenizer does not: the worker's exact count reroutes it.
    const long = "a b ".repeat(150);
    const rerouted = await client.completions.create({ model: "demo-tiny", prompt: long, max_tokens: 2 }).withResponse();
    expect(rerouted.data.choices[0]!.text.length).toBeGreaterThanOrEqual(0);
    const rerouteStory = storyOf(t.queen, rerouted.response.headers.get("x-rbee-job-id")!);
    expect(rerouteStory.join("\n")).toMatch(/context is too short for this prompt: it needs \d+ tokens of context/);
    expect(rerouteStory.join("\n")).toContain(`scheduled on worker ${big!.worker_id}`);

    // More than the model was trained for: a clear refusal with both numbers.
    await expect(chat("demo-tiny", { max_tokens: 3000 })).rejects.toMatchObject({
      status: 400,
      code: "context_too_long",
      message: expect.stringMatching(/this request needs 30\d\d tokens of context \(its prompt and max_tokens\); demo-tiny was trained for 2048\. Lower max_tokens/),
    });
    expect(await workers()).toHaveLength(2);
  });
});
