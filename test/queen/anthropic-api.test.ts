import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startTestQueen, type TestQueen } from "../helpers/queen-harness.ts";
import { createDemoModel } from "../helpers/openai-queen.ts";

const Lookup = z.object({ city: z.string().max(12), unit: z.enum(["c", "f"]) }).strict();

describe("the Anthropic Messages API on the queen, through @anthropic-ai/sdk", () => {
  let t: TestQueen;
  let anthropic: Anthropic;
  beforeAll(async () => {
    t = await startTestQueen();
    anthropic = new Anthropic({ baseURL: t.queen.url, apiKey: "unused", maxRetries: 0, timeout: 60_000 });
    await createDemoModel(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("messages.create returns text, with the system prompt in the prompt and usage counted", async () => {
    const msg = await anthropic.messages.create({ model: "demo-tiny", max_tokens: 8, system: "Be brief.", messages: [{ role: "user", content: "Hello" }] });
    expect(msg).toMatchObject({ type: "message", role: "assistant", model: "demo-tiny", stop_reason: "max_tokens", usage: { output_tokens: 8 } });
    expect(msg.content[0]).toMatchObject({ type: "text", text: expect.any(String) });
    expect((msg.content[0] as Anthropic.TextBlock).text.length).toBeGreaterThan(0);
    const without = await anthropic.messages.countTokens({ model: "demo-tiny", messages: [{ role: "user", content: "Hello" }] });
    const withSystem = await anthropic.messages.countTokens({ model: "demo-tiny", system: "Be brief.", messages: [{ role: "user", content: "Hello" }] });
    expect(msg.usage.input_tokens).toBe(withSystem.input_tokens);
    expect(withSystem.input_tokens).toBeGreaterThan(without.input_tokens);
  });

  it("messages.stream yields text deltas and message_stop; the final message adds up", async () => {
    const stream = anthropic.messages.stream({ model: "demo-tiny", max_tokens: 10, messages: [{ role: "user", content: "Tell me a story" }] });
    const types: string[] = [];
    let deltas = 0;
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === "content_block_delta" && e.delta.type === "text_delta") deltas++;
    }
    expect(types[0]).toBe("message_start");
    expect(types.at(-1)).toBe("message_stop");
    expect(deltas).toBeGreaterThan(1);
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe("max_tokens");
    expect(final.usage.output_tokens).toBe(10);
    expect((final.content[0] as Anthropic.TextBlock).text.length).toBeGreaterThan(0);
  });

  it("a forced tool gives a tool_use block whose input matches the schema, whole and streamed; tool_result goes back", async () => {
    const tools = [{ name: "lookup", description: "Look a city up", input_schema: z.toJSONSchema(Lookup) as Anthropic.Tool.InputSchema }];
    const msg = await anthropic.messages.create({ model: "demo-tiny", max_tokens: 200, messages: [{ role: "user", content: "Oslo?" }], tools, tool_choice: { type: "tool", name: "lookup" } });
    expect(msg.stop_reason).toBe("tool_use");
    const use = msg.content.find((b) => b.type === "tool_use") as Anthropic.ToolUseBlock;
    expect(use).toMatchObject({ name: "lookup", id: expect.stringMatching(/^toolu_/) });
    expect(Lookup.parse(use.input)).toBeTruthy();

    const streamed = await anthropic.messages.stream({ model: "demo-tiny", max_tokens: 200, messages: [{ role: "user", content: "Oslo?" }], tools, tool_choice: { type: "any" } }).finalMessage();
    const streamedUse = streamed.content.find((b) => b.type === "tool_use") as Anthropic.ToolUseBlock;
    expect(Lookup.parse(streamedUse.input)).toBeTruthy();

    const next = await anthropic.messages.create({
      model: "demo-tiny",
      max_tokens: 5,
      messages: [
        { role: "user", content: "Oslo?" },
        { role: "assistant", content: [use] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "12 degrees" }] },
      ],
    });
    expect(next.type).toBe("message");
  });

  it("errors come in Anthropic's shape: an unknown model is NotFoundError, an unknown parameter a BadRequestError naming it", async () => {
    await expect(anthropic.messages.create({ model: "no-such", max_tokens: 4, messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    const err = (await anthropic.messages.create({ model: "demo-tiny", max_tokens: 4, messages: [{ role: "user", content: "x" }], thinking: { type: "enabled", budget_tokens: 1024 } }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.BadRequestError>;
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err.message).toMatch(/thinking/);
    expect((err.error as { error: { type: string } }).error.type).toBe("invalid_request_error");
  });
});
