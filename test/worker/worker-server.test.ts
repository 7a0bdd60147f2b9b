import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WorkerServer } from "../../src/worker/server.ts";
import { collect, demoModelDir, infer, info, readyWorker, textOf } from "../helpers/worker-harness.ts";

describe("worker server", () => {
  let model: ReturnType<typeof demoModelDir>;
  let worker: WorkerServer | undefined;
  beforeEach(() => { model = demoModelDir(); });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    model.cleanup();
  });

  it("reports loading, then ready, and describes itself", async () => {
    // given a worker that has just started listening
    const { startWorkerServer } = await import("../../src/worker/server.ts");
    worker = await startWorkerServer({ modelPath: model.modelPath, modelId: "demo-tiny", port: 0, slots: 2, threads: 1 });
    const first = (await (await fetch(`${worker.url}/health`)).json()) as { status: string };
    expect(["loading", "ready"]).toContain(first.status);
    // when the model is loaded
    await worker.ready;
    // then health says ready and info names model, device and slots
    expect(await (await fetch(`${worker.url}/health`)).json()).toEqual({ status: "ready" });
    expect(await info(worker.url)).toMatchObject({ model: "demo-tiny", device: "cpu:0", slots: 2, busy: 0, pid: process.pid });
  });

  it("streams started, tokens and done for a prompt", async () => {
    worker = await readyWorker(model.modelPath);
    // when a client asks for 24 tokens
    const res = await infer(worker.url, { prompt: "the hive", max_tokens: 24, seed: 5 });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = await collect(res);
    // then the stream starts, carries text, and ends with the counts
    expect(events[0]).toMatchObject({ event: "started", data: { model: "demo-tiny" } });
    expect(textOf(events).length).toBeGreaterThan(0);
    const done = events.at(-1)!;
    expect(done.event).toBe("done");
    expect(done.data).toMatchObject({ tokens: 24, finish_reason: "length" });
    expect(done.data.tokens_per_s).toBeGreaterThan(0);
    expect(done.data.ttft_ms).toBeGreaterThanOrEqual(0);
  });

  it("the same seed gives the same text", async () => {
    worker = await readyWorker(model.modelPath);
    const a = textOf(await collect(await infer(worker.url, { prompt: "queen", max_tokens: 20, seed: 9 })));
    const b = textOf(await collect(await infer(worker.url, { prompt: "queen", max_tokens: 20, seed: 9 })));
    expect(a).toBe(b);
  });

  it("renders chat messages with the model's template", async () => {
    worker = await readyWorker(model.modelPath);
    const events = await collect(await infer(worker.url, { messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hello" }], max_tokens: 16 }));
    // the prompt holds both messages and the template's wrapping, more than the raw words
    expect(events[0]!.data.prompt_tokens).toBeGreaterThan(10);
    expect(events.at(-1)!.event).toBe("done");
  });

  it("stops at a stop string and never sends it", async () => {
    worker = await readyWorker(model.modelPath);
    // given a generation whose text is known (seeded)
    const full = textOf(await collect(await infer(worker.url, { prompt: "bee", max_tokens: 40, seed: 11 })));
    const stop = full.slice(10, 12);
    // when the same request names a piece of that text as a stop string
    const events = await collect(await infer(worker.url, { prompt: "bee", max_tokens: 40, seed: 11, stop: [stop] }));
    // then the text ends right before it, with finish_reason stop
    expect(textOf(events)).toBe(full.slice(0, full.indexOf(stop)));
    expect(events.at(-1)!.data.finish_reason).toBe("stop");
  });

  it("refuses bad bodies with 400 and a coded error, and unknown routes with 404", async () => {
    worker = await readyWorker(model.modelPath);
    for (const body of [{}, { prompt: "a", messages: [{ role: "user", content: "b" }] }, { prompt: "a", max_tokens: -1 }, { prompt: "a", colour: "red" }]) {
      const res = await infer(worker.url, body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.code).toBe("INVALID_REQUEST");
    }
    const notJson = await fetch(`${worker.url}/v1/inference`, { method: "POST", body: "{nope" });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as any).error.code).toBe("INVALID_JSON");
    const missing = await fetch(`${worker.url}/v1/nothing`);
    expect(missing.status).toBe(404);
    expect(await info(worker.url)).toMatchObject({ busy: 0, tokens_generated: 0 });
  });

  it("answers 503 with Retry-After when every slot is busy", async () => {
    // given a 1-slot worker in the middle of a long generation
    worker = await readyWorker(model.modelPath, { slots: 1 });
    const ctrl = new AbortController();
    const long = await infer(worker.url, { prompt: "a", max_tokens: 900 }, ctrl.signal);
    expect(long.status).toBe(200);
    // when a second request comes
    const second = await infer(worker.url, { prompt: "b", max_tokens: 4 });
    // then it is refused at once, with when to retry
    expect(second.status).toBe(503);
    expect(second.headers.get("retry-after")).toBe("1");
    expect(((await second.json()) as any).error.code).toBe("WORKER_BUSY");
    ctrl.abort();
  });
});
