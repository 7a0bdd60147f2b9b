import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WorkerServer } from "../../src/worker/server.ts";
import { collect, demoModelDir, infer, info, readyWorker } from "../helpers/worker-harness.ts";

const HISTORY = Array.from({ length: 12 }, (_, i) => `the queen asked worker bee ${i} to bring honey`).join("; ");
const done = async (res: Response) => (await collect(res)).at(-1)!.data as { prompt_tokens: number; cached_tokens: number; tokens: number };

describe("a slot keeps its KV for the next request that shares its prefix", () => {
  let model: ReturnType<typeof demoModelDir>;
  let worker: WorkerServer | undefined;
  beforeEach(() => { model = demoModelDir(); });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    model.cleanup();
  });

  it("the second turn of a conversation evaluates only what is new", async () => {
    worker = await readyWorker(model.modelPath, { slots: 1 });
    const first = await done(await infer(worker.url, { prompt: HISTORY, max_tokens: 8, seed: 1 }));
    expect(first.cached_tokens).toBe(0);
    const before = (await info(worker.url)).prompt_tokens_evaluated;
    const second = await done(await infer(worker.url, { prompt: `${HISTORY}; and then the hive slept`, max_tokens: 8, seed: 1 }));
    const evaluated = (await info(worker.url)).prompt_tokens_evaluated - before;
    // Everything the first prompt had is reused; only the new words are read.
    expect(second.cached_tokens).toBeGreaterThanOrEqual(first.prompt_tokens - 1);
    expect(evaluated).toBe(second.prompt_tokens - second.cached_tokens);
    expect(evaluated).toBeLessThan(second.prompt_tokens / 3);
  });

  it("an unrelated prompt evaluates in full, and a repeated one still samples afresh", async () => {
    worker = await readyWorker(model.modelPath, { slots: 1 });
    await done(await infer(worker.url, { prompt: HISTORY, max_tokens: 4, seed: 1 }));
    const other = await done(await infer(worker.url, { prompt: "zebras graze under a different sky", max_tokens: 4, seed: 1 }));
    expect(other.cached_tokens).toBeLessThanOrEqual(1);
    // The same prompt twice: all but its last token come from the cache, and the answers match (same seed).
    const a = await collect(await infer(worker.url, { prompt: HISTORY, max_tokens: 6, seed: 7 }));
    const b = await collect(await infer(worker.url, { prompt: HISTORY, max_tokens: 6, seed: 7 }));
    const text = (s: typeof a) => s.filter((e) => e.event === "token").map((e) => (e.data as { text: string }).text).join("");
    expect((b.at(-1)!.data as { cached_tokens: number; prompt_tokens: number }).cached_tokens).toBe((b.at(-1)!.data as { prompt_tokens: number }).prompt_tokens - 1);
    expect(text(b)).toBe(text(a));
  });

  it("a stop string ends the answer where it starts; the slot takes the next request at once, its cache intact", async () => {
    worker = await readyWorker(model.modelPath, { slots: 1 });
    const pieces = (s: Awaited<ReturnType<typeof collect>>) => s.filter((e) => e.event === "token").map((e) => (e.data as { text: string }).text);
    const whole = pieces(await collect(await infer(worker.url, { prompt: HISTORY, max_tokens: 12, seed: 5 })));
    // A stop string that first appears in the 7th piece: the answer must end just before it.
    const full = whole.join("");
    const stop = whole.slice(6).find((p) => p.trim() && !whole.slice(0, 6).join("").includes(p))!;
    const cut = full.indexOf(stop);
    const stopped = await collect(await infer(worker.url, { prompt: HISTORY, max_tokens: 12, seed: 5, stop: [stop] }));
    expect(pieces(stopped).join("")).toBe(full.slice(0, cut));
    expect(stopped.at(-1)).toMatchObject({ event: "done", data: { finish_reason: "stop" } });
    // The one slot answers the next request at once (no 503), and still holds the history.
    const next = await infer(worker.url, { prompt: `${HISTORY}; and then`, max_tokens: 2, seed: 1 });
    expect(next.status).toBe(200);
    const after = await done(next);
    expect(after.cached_tokens).toBeGreaterThan(after.prompt_tokens / 2);
  });

  it("with two slots, a conversation goes back to the slot that holds it", async () => {
    worker = await readyWorker(model.modelPath, { slots: 2 });
    const other = "zebras graze under a different sky, far from any hive at all";
    await Promise.all([infer(worker.url, { prompt: HISTORY, max_tokens: 4, seed: 1 }).then(done), infer(worker.url, { prompt: other, max_tokens: 4, seed: 2 }).then(done)]);
    const again = await done(await infer(worker.url, { prompt: `${other}; still grazing`, max_tokens: 4, seed: 3 }));
    expect(again.cached_tokens).toBeGreaterThan(10);
  });
});
