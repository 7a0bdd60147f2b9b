import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WorkerServer } from "../../src/worker/server.ts";
import { collect, demoModelDir, infer, info, readyWorker, until } from "../helpers/worker-harness.ts";

describe("worker batching and slots", () => {
  let model: ReturnType<typeof demoModelDir>;
  let worker: WorkerServer | undefined;
  beforeEach(() => { model = demoModelDir(); });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    model.cleanup();
  });

  it("two requests on a 2-slot worker decode together in the same steps", async () => {
    // given a 2-slot worker
    worker = await readyWorker(model.modelPath, { slots: 2 });
    const before = await info(worker.url);
    // when two clients ask for 150 tokens at the same time
    const [a, b] = await Promise.all([
      infer(worker.url, { prompt: "the hive", max_tokens: 150 }).then(collect),
      infer(worker.url, { prompt: "the queen", max_tokens: 150 }).then(collect),
    ]);
    // then both complete
    expect(a.at(-1)!.data).toMatchObject({ tokens: 150, finish_reason: "length" });
    expect(b.at(-1)!.data).toMatchObject({ tokens: 150, finish_reason: "length" });
    // and both streams had tokens before either finished
    const firstToken = (s: typeof a) => s.find((e) => e.event === "token")!.at;
    expect(Math.max(firstToken(a), firstToken(b))).toBeLessThan(Math.min(a.at(-1)!.at, b.at(-1)!.at));
    // and they shared decode steps: 300 tokens took about 150 steps, not 300
    const after = await info(worker.url);
    expect(after.tokens_generated - before.tokens_generated).toBe(300);
    expect(after.decode_steps - before.decode_steps).toBeLessThan(200);
  });

  it("a prompt longer than one batch is read in parts while another stream keeps its tokens coming", async () => {
    // given a 2-slot worker streaming a long answer
    worker = await readyWorker(model.modelPath, { slots: 2, contextSize: 4096 });
    const running = collect(await infer(worker.url, { prompt: "the hive", max_tokens: 1500 }));
    await until(async () => (await info(worker!.url)).tokens_generated > 0);
    const before = await info(worker.url);
    // when a prompt of over two batches (512 tokens each) arrives
    const prompt = Array.from({ length: 700 }, (_, i) => `bee${i % 7}`).join(" ");
    const long = await collect(await infer(worker.url, { prompt, max_tokens: 8 }));
    // then it is answered, all of it read
    const promptTokens = (long.find((e) => e.event === "started")!.data as { prompt_tokens: number }).prompt_tokens;
    expect(promptTokens).toBeGreaterThan(1024);
    expect(long.at(-1)!.data).toMatchObject({ tokens: 8, prompt_tokens: promptTokens });
    expect((await info(worker.url)).prompt_tokens_evaluated - before.prompt_tokens_evaluated).toBe(promptTokens);
    // and the other stream got tokens while it was read: its next token went first in each batch
    const a = await running;
    const startedAt = long.find((e) => e.event === "started")!.at;
    const firstTokenAt = long.find((e) => e.event === "token")!.at;
    expect(a.filter((e) => e.event === "token" && e.at > startedAt && e.at < firstTokenAt).length).toBeGreaterThanOrEqual(2);
    expect(a.at(-1)!.data).toMatchObject({ tokens: 1500 });
  });

  it("an embedding asked for during a generation is answered, and the generation goes on to its end", async () => {
    worker = await readyWorker(model.modelPath, { slots: 1, contextSize: 2048 });
    const running = collect(await infer(worker.url, { prompt: "the hive", max_tokens: 400 }));
    await until(async () => (await info(worker!.url)).tokens_generated > 0);
    const res = await fetch(`${worker.url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: ["honey", "wax"] }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { embeddings: number[][] }).embeddings).toHaveLength(2);
    expect((await running).at(-1)!.data).toMatchObject({ tokens: 400, finish_reason: "length" });
  });

  it("a client that disconnects stops its generation and frees its slot", async () => {
    // given a 1-slot worker streaming a long answer to a client
    worker = await readyWorker(model.modelPath, { slots: 1, contextSize: 2048 });
    const ctrl = new AbortController();
    const res = await infer(worker.url, { prompt: "a", max_tokens: 2000 }, ctrl.signal);
    const reader = res.body!.getReader();
    await reader.read();
    expect((await info(worker.url)).busy).toBe(1);
    // when the client goes away mid-stream
    ctrl.abort();
    await reader.cancel().catch(() => {});
    // then the slot is free again soon, long before 2000 tokens could have been made
    await until(async () => (await info(worker!.url)).busy === 0);
    const stoppedAt = (await info(worker.url)).tokens_generated;
    expect(stoppedAt).toBeLessThan(2000);
    // and a new request gets the slot and completes
    const next = await collect(await infer(worker.url, { prompt: "b", max_tokens: 8 }));
    expect(next.at(-1)!.data).toMatchObject({ tokens: 8 });
    expect((await info(worker.url)).tokens_generated).toBe(stoppedAt + 8);
  });

  it("stop() cancels running generations and releases the port", async () => {
    worker = await readyWorker(model.modelPath, { slots: 1, contextSize: 2048 });
    const res = await infer(worker.url, { prompt: "a", max_tokens: 2000 });
    const reading = collect(res).catch(() => []);
    await until(async () => (await info(worker!.url)).tokens_generated > 0);
    const url = worker.url;
    await worker.stop();
    worker = undefined;
    const events = await reading;
    expect(events.filter((e) => e.event === "done")).toEqual([]);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
