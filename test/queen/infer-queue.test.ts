import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, startTestQueen, type TestQueen } from "../helpers/queen-harness.ts";
import { createDemoModel, openAiClient, storyOf } from "../helpers/openai-queen.ts";

/** A request that holds its slot for seconds: the demo model runs until its context is full. */
const LONG = { model: "demo-tiny", messages: [{ role: "user" as const, content: "go on" }], max_tokens: 32_768, stream: true as const };
const SHORT = { model: "demo-tiny", messages: [{ role: "user" as const, content: "hi" }], max_tokens: 4 };

describe("the queen's infer queue and cancellation", () => {
  let t: TestQueen | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it("waits in FIFO order when every slot is busy, and answers 503 with Retry-After when the queue is full", async () => {
    t = await startTestQueen({ scheduler: { maxQueue: 2, spawnSlots: 1 } });
    await createDemoModel(t);
    const client = openAiClient(t.queen);

    // Given one worker with one slot, held by a long stream …
    const { data: holder, response } = await client.chat.completions.create(LONG).withResponse();
    const holding = holder[Symbol.asyncIterator]();
    await holding.next();
    const holderJob = response.headers.get("x-rbee-job-id")!;

    // … two more requests wait, in order …
    const first = client.chat.completions.create(SHORT).withResponse();
    await eventually(() => t!.queen.scheduler.queueDepth === 1);
    const second = client.chat.completions.create(SHORT).withResponse();
    await eventually(() => t!.queen.scheduler.queueDepth === 2);

    // … and one past the bound is refused at once, with a hint of when to come back.
    const refused = (await client.chat.completions.create(SHORT).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(refused).toBeInstanceOf(OpenAI.InternalServerError);
    expect(refused.status).toBe(503);
    expect(refused.code).toBe("queue_full");
    expect(refused.headers?.get("retry-after")).toBe("1");
    // The job API refuses it at the door too: 503 with Retry-After, and no job is created.
    const jobsBefore = t.queen.registry.size;
    const viaJobs = await fetch(`${t.queen.url}/v1/jobs`, { method: "POST", body: JSON.stringify({ operation: "infer", model: "demo-tiny", prompt: "hi", max_tokens: 4 }) });
    expect(viaJobs.status).toBe(503);
    expect(viaJobs.headers.get("retry-after")).toBe("1");
    expect(((await viaJobs.json()) as { error: { code: string } }).error.code).toBe("QUEUE_FULL");
    expect(t.queen.registry.size).toBe(jobsBefore);

    // When the holder goes away, the waiters run in arrival order.
    await holding.return?.();
    const [a, b] = await Promise.all([first, second]);
    expect(a.data.usage?.completion_tokens).toBe(4);
    expect(b.data.usage?.completion_tokens).toBe(4);
    const jobA = t.queen.registry.require(a.response.headers.get("x-rbee-job-id")!);
    const jobB = t.queen.registry.require(b.response.headers.get("x-rbee-job-id")!);
    expect(storyOf(t.queen, jobA.id).join("\n")).toMatch(/every slot for demo-tiny is busy: queued, position 1/);
    expect(storyOf(t.queen, jobB.id).join("\n")).toMatch(/queued, position 2/);
    // FIFO: A left the queue (got the slot) before B did.
    expect(dequeuedAt(t.queen, jobA.id)).toBeLessThanOrEqual(dequeuedAt(t.queen, jobB.id));
    await eventually(() => t!.queen.registry.require(holderJob).state === "cancelled");

    const metrics = await (await fetch(`${t.queen.url}/metrics`)).text();
    expect(metrics).toMatch(/^rbee_queue_rejected_total 2$/m);
    expect(metrics).toMatch(/^rbee_queue_depth 0$/m);
  });

  it("a client that disconnects mid-stream cancels its job, and the worker's slot is free again", async () => {
    t = await startTestQueen({ scheduler: { spawnSlots: 1 } });
    await createDemoModel(t);
    const client = openAiClient(t.queen);

    const { data: stream, response } = await client.chat.completions.create(LONG).withResponse();
    const jobId = response.headers.get("x-rbee-job-id")!;
    let chunks = 0;
    for await (const _ of stream) if (++chunks === 3) break; // leaving the loop aborts the request

    await eventually(() => t!.queen.registry.require(jobId).state === "cancelled");
    const pool = t.queen.localHive!.pool;
    const [worker] = pool.list();
    await eventually(async () => {
      const info = (await (await fetch(`${worker.url}/v1/info`, { headers: { authorization: `Bearer ${pool.get(worker.worker_id).token}` } })).json()) as { busy: number };
      return info.busy === 0 && pool.list()[0].busy === 0;
    });
    expect(storyOf(t.queen, jobId).join("\n")).toMatch(/job cancelled: the client disconnected/);

    // The one slot serves the next request.
    const next = await client.chat.completions.create(SHORT);
    expect(next.usage?.completion_tokens).toBe(4);
    expect(pool.list()).toHaveLength(1);
  });

  it("spreads concurrent requests over ready workers, least busy first", async () => {
    t = await startTestQueen();
    await createDemoModel(t);
    for (let i = 0; i < 2; i++) expect((await t.run({ operation: "worker_spawn", model: "demo-tiny", slots: 2 })).outcome.state).toBe("completed");
    const client = openAiClient(t.queen);

    const streams = await Promise.all([0, 1].map(() => client.chat.completions.create(LONG).withResponse()));
    const held = await Promise.all(streams.map(async ({ data }) => {
      const it = data[Symbol.asyncIterator]();
      await it.next();
      return it;
    }));
    const chosen = streams.map(({ response }) => storyOf(t!.queen, response.headers.get("x-rbee-job-id")!).join("\n").match(/scheduled on worker (wrk-\w+)/)![1]);
    expect(new Set(chosen).size).toBe(2);
    const busy = t.queen.scheduler.workers().map((w) => w.busy);
    expect(busy).toEqual([1, 1]);
    await Promise.all(held.map((it) => it.return?.()));
  });
});

/** When a job first left the queue: the time on its first "dequeued" narration. */
function dequeuedAt(queen: Parameters<typeof storyOf>[0], jobId: string): number {
  let at = Number.NaN;
  const decoder = new TextDecoder();
  queen.registry.require(jobId).subscribe(0, (frame) => {
    const text = decoder.decode(frame.bytes);
    if (!text.includes("\nevent: narration\n")) return;
    const event = JSON.parse(text.slice(text.indexOf("data: ") + 6)) as { action: string; ts: number };
    if (event.action === "dequeued" && Number.isNaN(at)) at = event.ts;
  })();
  return at;
}
