import { afterEach, describe, expect, it } from "vitest";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { startTestQueen, type TestQueen } from "../helpers/queen-harness.ts";
import { createDemoModel, openAiClient, storyOf } from "../helpers/openai-queen.ts";

const system = (topic: string) => ({ role: "system" as const, content: `You are a patient guide. ${Array.from({ length: 8 }, (_, i) => `Rule ${i}: talk about ${topic}.`).join(" ")}` });

describe("the scheduler sends a conversation back to the worker that holds it", () => {
  let t: TestQueen | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it("two conversations on two 1-slot workers each return to their own worker and reuse its cache", async () => {
    t = await startTestQueen();
    await createDemoModel(t);
    for (let i = 0; i < 2; i++) expect((await t.run({ operation: "worker_spawn", model: "demo-tiny", slots: 1 })).outcome.state).toBe("completed");
    const client = openAiClient(t.queen);
    const turn = async (messages: ChatCompletionMessageParam[]) => {
      const { data, response } = await client.chat.completions.create({ model: "demo-tiny", messages, max_tokens: 4, seed: 1 }).withResponse();
      const story = storyOf(t!.queen, response.headers.get("x-rbee-job-id")!).join("\n");
      const worker = story.match(/scheduled on worker (\S+)/)![1]!;
      const usage = data.usage as { prompt_tokens_details?: { cached_tokens: number } };
      return { worker, reply: data.choices[0]!.message.content ?? "", cached: usage.prompt_tokens_details?.cached_tokens ?? 0 };
    };
    const a1msgs: ChatCompletionMessageParam[] = [system("honey"), { role: "user", content: "How do bees make honey?" }];
    const b1msgs: ChatCompletionMessageParam[] = [system("zebras"), { role: "user", content: "Where do zebras sleep?" }];
    const a1 = await turn(a1msgs);
    const b1 = await turn(b1msgs);
    // A new conversation takes the worker used longest ago, keeping A's cache warm.
    expect(b1.worker).not.toBe(a1.worker);
    const a2 = await turn([...a1msgs, { role: "assistant", content: a1.reply }, { role: "user", content: "And then?" }]);
    const b2 = await turn([...b1msgs, { role: "assistant", content: b1.reply }, { role: "user", content: "Why?" }]);
    expect(a2.worker).toBe(a1.worker);
    expect(b2.worker).toBe(b1.worker);
    expect(a2.cached).toBeGreaterThan(20);
    expect(b2.cached).toBeGreaterThan(20);
  });
});
