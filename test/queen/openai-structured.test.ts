import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { demoQueenForSuite } from "../helpers/openai-queen.ts";

// Random weights write no JSON of their own: everything that parses here is the grammar's doing.
const Weather = z.object({ city: z.string().max(20), unit: z.enum(["celsius", "fahrenheit"]), tomorrow: z.boolean() }).strict();
const weatherTool = {
  type: "function" as const,
  function: { name: "get_weather", description: "The weather in a city", parameters: z.toJSONSchema(Weather) as Record<string, unknown> },
};
const timeTool = { type: "function" as const, function: { name: "get_time", description: "The time", parameters: { type: "object", properties: { zone: { type: "string", enum: ["utc", "local"] } }, required: ["zone"] } } };
const ask = [{ role: "user" as const, content: "What is the weather in Paris?" }];

describe("OpenAI API: structured output, tools, penalties (openai client, demo model)", () => {
  const suite = demoQueenForSuite();

  it("response_format json_schema (strict): the content parses and validates with zod", async () => {
    for (const seed of [1, 2, 3]) {
      const done = await suite.client.chat.completions.create({
        model: "demo-tiny",
        messages: ask,
        seed,
        max_tokens: 200,
        response_format: { type: "json_schema", json_schema: { name: "weather", strict: true, schema: z.toJSONSchema(Weather) as Record<string, unknown> } },
      });
      expect(done.choices[0].finish_reason).toBe("stop");
      expect(Weather.parse(JSON.parse(done.choices[0].message.content!))).toBeTruthy();
    }
  });

  it("response_format json_object: the content is a JSON value", async () => {
    const done = await suite.client.chat.completions.create({ model: "demo-tiny", messages: ask, seed: 2, max_tokens: 400, response_format: { type: "json_object" } });
    expect(done.choices[0].finish_reason).toBe("stop");
    expect(() => JSON.parse(done.choices[0].message.content!)).not.toThrow();
  });

  it("a named tool_choice returns tool_calls whose arguments parse and match the schema", async () => {
    const done = await suite.client.chat.completions.create({ model: "demo-tiny", messages: ask, seed: 5, max_tokens: 200, tools: [weatherTool, timeTool], tool_choice: { type: "function", function: { name: "get_weather" } } });
    const choice = done.choices[0];
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
    expect(call).toMatchObject({ id: expect.stringMatching(/^call_/), type: "function", function: { name: "get_weather" } });
    expect(Weather.parse(JSON.parse(call.function.arguments))).toBeTruthy();
  });

  it("tool calls stream as deltas; tool_choice required picks one of the tools; role tool is accepted back", async () => {
    const stream = await suite.client.chat.completions.create({ model: "demo-tiny", messages: ask, seed: 6, max_tokens: 200, tools: [weatherTool, timeTool], tool_choice: "required", stream: true });
    const deltas: OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe("tool_calls");
    const call = deltas[0]!;
    expect(["get_weather", "get_time"]).toContain(call.function!.name);
    const args = JSON.parse(call.function!.arguments!);
    if (call.function!.name === "get_weather") Weather.parse(args);
    else expect(["utc", "local"]).toContain(args.zone);

    // The call and its result go back into the history; the model answers (auto: words or a call).
    const next = await suite.client.chat.completions.create({
      model: "demo-tiny",
      seed: 1,
      max_tokens: 200,
      tools: [weatherTool, timeTool],
      messages: [...ask, { role: "assistant", content: null, tool_calls: [{ id: call.id!, type: "function", function: { name: call.function!.name!, arguments: call.function!.arguments! } }] }, { role: "tool", tool_call_id: call.id!, content: "18 degrees, sunny" }],
    });
    expect(["stop", "tool_calls", "length"]).toContain(next.choices[0].finish_reason);
    expect(next.usage!.prompt_tokens).toBeGreaterThan(50);
  });

  it("presence, frequency and repeat penalties and min_p are honoured: they change the text", async () => {
    const base = { model: "demo-tiny", messages: ask, seed: 3, max_tokens: 30, temperature: 0 };
    const plain = (await suite.client.chat.completions.create(base)).choices[0].message.content;
    const penalised = (await suite.client.chat.completions.create({ ...base, presence_penalty: 2, frequency_penalty: 1, repeat_penalty: 3 } as never)) as OpenAI.Chat.Completions.ChatCompletion;
    expect(penalised.choices[0].message.content).not.toBe(plain);
    // min_p = 1 keeps only the likeliest token: a hot temperature then samples greedily.
    const hot = { ...base, temperature: 2, seed: 11 };
    expect((await suite.client.chat.completions.create(hot)).choices[0].message.content).not.toBe(plain);
    expect((await suite.client.chat.completions.create({ ...hot, min_p: 1 } as never) as OpenAI.Chat.Completions.ChatCompletion).choices[0].message.content).toBe(plain);
  });

  it("every unsupported parameter is a 400 that names it, and starts no job", async () => {
    const before = suite.t.queen.registry.list().length;
    const cases: [Record<string, unknown>, string][] = [
      [{ n: 3 }, "n"],
      [{ top_logprobs: 2 }, "top_logprobs"],
      [{ logit_bias: { "50256": -100 } }, "logit_bias"],
      [{ functions: [{ name: "f" }] }, "functions"],
      [{ audio: { voice: "alloy" } }, "audio"],
      [{ tools: [weatherTool], tool_choice: { type: "function", function: { name: "nope" } } }, "tool_choice"],
      [{ tools: [weatherTool], response_format: { type: "json_object" } }, "response_format"],
      [{ grammar: "root ::= (" }, "grammar"],
    ];
    for (const [extra, param] of cases) {
      const err = (await suite.client.chat.completions.create({ model: "demo-tiny", messages: ask, max_tokens: 4, ...extra } as never).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
      expect(err, param).toBeInstanceOf(OpenAI.BadRequestError);
      if (param === "grammar") expect(err.message).toMatch(/^400 grammar: llama.cpp cannot parse it/);
      else expect(err.param, JSON.stringify(extra)).toBe(param);
    }
    // The bad grammar is found by the worker: that one ran as a (failed) job; the rest never started one.
    expect(suite.t.queen.registry.list().length).toBeLessThanOrEqual(before + 1);
  });
});

describe("OpenAI API: logprobs (openai client, demo model)", () => {
  const suite = demoQueenForSuite();

  it("logprobs with top_logprobs: one entry per generated token, the text they spell, alternatives sorted", async () => {
    const done = await suite.client.chat.completions.create({ model: "demo-tiny", messages: ask, seed: 1, max_tokens: 8, logprobs: true, top_logprobs: 3 });
    const content = done.choices[0].logprobs!.content!;
    expect(content).toHaveLength(8);
    expect(content.map((t) => t.token).join("")).toBe(done.choices[0].message.content);
    for (const t of content) {
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.top_logprobs).toHaveLength(3);
      expect(t.top_logprobs.map((a) => a.logprob)).toEqual([...t.top_logprobs.map((a) => a.logprob)].sort((a, b) => b - a));
      expect(t.bytes).toEqual([...new TextEncoder().encode(t.token)]);
    }
    // Streamed, the chunks carry the same entries.
    const stream = await suite.client.chat.completions.create({ model: "demo-tiny", messages: ask, seed: 1, max_tokens: 8, logprobs: true, stream: true });
    const streamed: string[] = [];
    for await (const chunk of stream) streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []).map((t) => t.token));
    expect(streamed).toEqual(content.map((t) => t.token));
  });

  it("legacy completions: logprobs N gives tokens, their logprobs, N alternatives each and offsets after the prompt", async () => {
    const prompt = "Once upon a time";
    const done = await suite.client.completions.create({ model: "demo-tiny", prompt, seed: 1, max_tokens: 6, logprobs: 2 });
    const lp = done.choices[0].logprobs!;
    expect(lp.tokens).toHaveLength(6);
    expect(lp.tokens!.join("")).toBe(done.choices[0].text);
    expect(lp.token_logprobs!.every((v) => v <= 0)).toBe(true);
    expect(lp.top_logprobs!.every((alts) => Object.keys(alts).length === 2)).toBe(true);
    // Each token's offset in prompt + answer: the first right after the prompt, then one after another.
    const offsets = lp.tokens!.map((_, i) => prompt.length + lp.tokens!.slice(0, i).join("").length);
    expect(lp.text_offset).toEqual(offsets);
    // Streamed, the chunks carry the same tokens and offsets.
    const stream = await suite.client.completions.create({ model: "demo-tiny", prompt, seed: 1, max_tokens: 6, logprobs: 2, stream: true });
    const streamed: { tokens: string[]; offsets: number[] } = { tokens: [], offsets: [] };
    for await (const chunk of stream) {
      streamed.tokens.push(...(chunk.choices[0]?.logprobs?.tokens ?? []));
      streamed.offsets.push(...(chunk.choices[0]?.logprobs?.text_offset ?? []));
    }
    expect(streamed).toEqual({ tokens: lp.tokens, offsets });
    // Past OpenAI's bound of 5 alternatives: a 400 naming the parameter.
    await expect(suite.client.completions.create({ model: "demo-tiny", prompt, max_tokens: 2, logprobs: 9 })).rejects.toMatchObject({ status: 400, param: "logprobs" });
  });
});
