import { describe, expect, it } from "vitest";
import type { Device } from "../../src/engine/devices.ts";
import { contextCandidates, fitContext } from "../../src/engine/context-choice.ts";
import type { MemoryEstimate } from "../../src/engine/memory-estimate.ts";
import { placeWorker } from "../../src/engine/placement.ts";
import { RbeeError } from "../../src/protocol/errors.ts";

const GiB = 1024 ** 3;
/** An 8B-like model trained for 131072 tokens: 5 GiB of weights, 16 GiB of KV at that context for 4 slots. */
const model: MemoryEstimate = { weights_bytes: 5 * GiB, kv_bytes: 16 * GiB, overhead_bytes: 0, total_bytes: 21 * GiB, layers: 32, context_per_slot: 131_072, slots: 4, train_context: 131_072 };
const ram = (freeGiB: number): Device => ({ id: "cpu:0", backend: "cpu", name: "cpu", memory_total_bytes: 64 * GiB, memory_free_bytes: freeGiB * GiB, software: false, engine: "built-in" });
const gpu = (freeGiB: number): Device => ({ id: "cuda:0", backend: "cuda", name: "gpu", memory_total_bytes: 24 * GiB, memory_free_bytes: freeGiB * GiB, software: false, engine: "installed" });
const choose = (devices: Device[], wish = {}) => fitContext(model, contextCandidates(model.train_context, wish, "m"), (n) => placeWorker("auto", n, devices, "lab")).need.context_per_slot;

describe("a worker's context: the model's own when memory allows", () => {
  it("defaults to the training context, halving while the whole model does not fit, down to 4096", () => {
    expect(choose([ram(48)])).toBe(131_072);
    expect(choose([ram(16)])).toBe(65_536);
    expect(choose([ram(12)])).toBe(32_768);
    expect(choose([ram(32), gpu(24)])).toBe(131_072);
    // The GPU holds the whole model only at a shorter context: that beats part of it in RAM.
    expect(choose([ram(64), gpu(12)])).toBe(32_768);
  });

  it("never goes below the fallback, and refuses with the numbers when even that does not fit", () => {
    expect(contextCandidates(2048, {}, "m")).toEqual([2048]);
    expect(contextCandidates(16_384, {}, "m")).toEqual([16_384, 8192, 4096]);
    expect(() => choose([ram(4)])).toThrow(expect.objectContaining({ code: "PLACEMENT_NO_FIT", message: expect.stringMatching(/4 slot\(s\) × 4096 tokens/) }));
  });

  it("a size asked for is kept, raised to what the request needs; more than the model knows is refused", () => {
    expect(contextCandidates(131_072, { ctx: 8192 }, "m")).toEqual([8192]);
    expect(contextCandidates(131_072, { ctx: 8192, min: 9000 }, "m")).toEqual([9000]);
    expect(contextCandidates(131_072, { min: 100_000 }, "m")).toEqual([131_072, 100_000]);
    let error: unknown;
    try {
      contextCandidates(2048, { min: 3000 }, "demo-tiny");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RbeeError);
    expect(error).toMatchObject({ code: "CONTEXT_TOO_LONG", status: 400, message: "this request needs 3000 tokens of context (its prompt and max_tokens); demo-tiny was trained for 2048" });
  });
});
