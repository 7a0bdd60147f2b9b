import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningHive } from "../../src/hive/start-hive.ts";
import { eventually, startSideHive, startTestQueen, type TestQueen } from "../helpers/queen-harness.ts";
import { createDemoModel, openAiClient, storyOf } from "../helpers/openai-queen.ts";

describe("scheduling across hives: a queen and a separate hive daemon on loopback", () => {
  let t: TestQueen;
  let hive: RunningHive;
  let side: Awaited<ReturnType<typeof startSideHive>>;

  beforeEach(async () => {
    t = await startTestQueen();
    // The hive keeps its models under its own RBEE_HOME, as on another machine.
    side = await startSideHive(t, "h2");
    hive = side.hive;
  });
  afterEach(async () => {
    await side?.stop();
    await t?.stop();
  });

  it("starts a worker on the hive that has the model, then schedules onto it from heartbeats", async () => {
    await createDemoModel(t, "h2");
    const client = openAiClient(t.queen);

    const first = await client.chat.completions.create({ model: "demo-tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 6 }).withResponse();
    expect(first.data.usage?.completion_tokens).toBe(6);
    const story = storyOf(t.queen, first.response.headers.get("x-rbee-job-id")!).join("\n");
    expect(story).toMatch(/starting a worker for demo-tiny on hive h2, cpu:0: no usable GPU here \(needs [\d.]+ MiB, [\d.]+ GiB RAM free\); it runs 0 worker\(s\)/);
    expect(story).toMatch(/spawned worker wrk-/); // relayed from the hive's own job
    const [worker] = hive.hive.pool.list();

    // Once the heartbeat lists the worker, the queen sees it like any other.
    await eventually(() => t.queen.scheduler.workers().some((w) => w.worker_id === worker.worker_id && !w.live));
    const second = await client.completions.create({ model: "demo-tiny", prompt: "again", max_tokens: 3 }).withResponse();
    expect(second.data.choices[0].finish_reason).toBe("length");
    expect(storyOf(t.queen, second.response.headers.get("x-rbee-job-id")!).join("\n")).toMatch(
      new RegExp(`scheduled on worker ${worker.worker_id} of hive h2 \\(0/4 slots busy\\)`),
    );
    expect(t.queen.localHive!.pool.list()).toEqual([]);
    expect(hive.hive.pool.list()).toHaveLength(1);
  });

  it("a remote hive honours what the request asks of the worker: a forced tool call, logprobs, embeddings", async () => {
    await createDemoModel(t, "h2");
    const client = openAiClient(t.queen);
    const parameters = { type: "object", properties: { city: { type: "string", maxLength: 8 } }, required: ["city"], additionalProperties: false };
    const called = await client.chat.completions.create({ model: "demo-tiny", messages: [{ role: "user", content: "Oslo?" }], max_tokens: 100, seed: 5, tools: [{ type: "function", function: { name: "f", parameters } }], tool_choice: { type: "function", function: { name: "f" } } });
    const call = called.choices[0].message.tool_calls![0] as { function: { arguments: string } };
    expect(Object.keys(JSON.parse(call.function.arguments))).toEqual(["city"]);
    const withLogprobs = await client.chat.completions.create({ model: "demo-tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 4, logprobs: true });
    expect(withLogprobs.choices[0].logprobs!.content).toHaveLength(4);
    const embedded = await client.embeddings.create({ model: "demo-tiny", input: ["a", "b"], encoding_format: "float" });
    expect(embedded.data).toHaveLength(2);
    expect(t.queen.localHive!.pool.list()).toEqual([]);
  });

  it("lists each model once across hives, and names the hives when no one has a model", async () => {
    await createDemoModel(t, "h2");
    await createDemoModel(t, "localhost");
    const client = openAiClient(t.queen);
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(["demo-tiny"]);

    const missing = await t.run({ operation: "infer", model: "llama-7b", prompt: "hi", max_tokens: 2 });
    expect(missing.outcome).toMatchObject({ state: "failed", error: expect.stringMatching(/llama-7b is not on any online hive \((localhost, h2|h2, localhost)\)/) });
    const failed = missing.events.find((e) => e.kind === "narration" && e.action === "job_failed");
    expect(failed?.kind === "narration" && failed.fields).toMatchObject({ code: "MODEL_NOT_FOUND", hint: expect.stringMatching(/rbee model download/) });
  });
});
