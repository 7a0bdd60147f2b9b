import { describe, expect, it } from "vitest";
import { planRoom, type RoomAsk, type RoomWorker } from "../../src/hive/make-room.ts";
import type { Device } from "../../src/engine/devices.ts";
import type { MemoryEstimate } from "../../src/engine/memory-estimate.ts";

const GiB = 1024 ** 3;
const need = (gib: number): MemoryEstimate => ({ weights_bytes: gib * GiB, kv_bytes: 0, overhead_bytes: 0, total_bytes: gib * GiB, layers: 32, context_per_slot: 4096, slots: 1, train_context: 4096 });
const ram = (freeGiB: number): Device => ({ id: "cpu:0", backend: "cpu", name: "cpu", memory_total_bytes: 64 * GiB, memory_free_bytes: freeGiB * GiB, software: false, engine: "built-in" });
const gpu = (freeGiB: number): Device => ({ id: "cuda:0", backend: "cuda", name: "RTX", memory_total_bytes: 24 * GiB, memory_free_bytes: freeGiB * GiB, software: false, engine: "installed" });
const minutesAgo = (m: number) => Date.now() - m * 60_000;
const worker = (model: string, idleMin: number, gib: number, extra: Partial<RoomWorker> = {}): RoomWorker => ({ workerId: `w-${model}`, model, onDemand: true, busy: false, lastUsedAt: minutesAgo(idleMin), device: "cpu:0", bytes: gib * GiB, ...extra });
const ask = (over: Partial<RoomAsk>): RoomAsk => ({ model: "llama-8b", need: need(6), device: "auto", devices: [ram(4)], hiveId: "lab", workers: [], ...over });
const evicted = (plan: ReturnType<typeof planRoom>) => (plan.kind === "evict" ? plan.evict.map((e) => e.worker.model) : plan.kind);

describe("making room for a new worker", () => {
  it("evicts nothing when the model fits the free memory", () => {
    expect(evicted(planRoom(ask({ devices: [ram(16)], workers: [worker("qwen-7b", 12, 5)] })))).toEqual([]);
  });

  it("evicts idle on-demand workers least recently used first, only as many as the model needs", () => {
    const workers = [worker("phi", 1, 3), worker("qwen-7b", 12, 5), worker("gemma", 30, 1)];
    // 4 GiB free + gemma's 1 = 5 < 6; + qwen-7b's 5 = 10 ≥ 6: phi (used a minute ago) stays.
    const plan = planRoom(ask({ workers }));
    expect(evicted(plan)).toEqual(["gemma", "qwen-7b"]);
    expect(plan.kind === "evict" && plan.evict[1]!.why).toBe("llama-8b needs 6.0 GiB");
  });

  it("frees memory on the worker's own device: a GPU worker makes room on the GPU", () => {
    const plan = planRoom(ask({ devices: [ram(2), gpu(3)], workers: [worker("on-gpu", 5, 8, { device: "cuda:0" }), worker("on-cpu", 50, 8)] }));
    // Evicting the CPU worker (oldest) gives RAM 10 GiB ≥ 6: the model goes to the CPU, the GPU worker stays.
    expect(evicted(plan)).toEqual(["on-cpu"]);
  });

  it("never evicts a busy worker or one spawned by hand: it waits for a busy on-demand one", () => {
    const busy = [worker("qwen-7b", 0, 5, { busy: true }), worker("by-hand", 60, 5, { onDemand: false })];
    const plan = planRoom(ask({ workers: busy }));
    expect(plan).toMatchObject({ kind: "wait", why: expect.stringMatching(/only busy workers could make room/) });
  });

  it("refuses with placement's numbers, evicting nothing, when even every on-demand worker would not make room", () => {
    const plan = planRoom(ask({ need: need(40), workers: [worker("qwen-7b", 12, 5), worker("by-hand", 60, 20, { onDemand: false })] }));
    expect(plan.kind).toBe("refuse");
    expect(plan.kind === "refuse" && plan.error).toMatchObject({ code: "PLACEMENT_NO_FIT", message: expect.stringMatching(/needs 40.*GiB.*RAM on lab 4/) });
  });

  it("--max-loaded: at the cap the least recently used idle on-demand worker goes, even when memory is plenty", () => {
    const workers = [worker("a", 2, 1), worker("b", 9, 1), worker("by-hand", 60, 1, { onDemand: false })];
    const plan = planRoom(ask({ devices: [ram(32)], maxLoaded: 3, workers }));
    expect(evicted(plan)).toEqual(["b"]);
    expect(plan.kind === "evict" && plan.evict[0]!.why).toBe("max-loaded 3");
    expect(evicted(planRoom(ask({ devices: [ram(32)], maxLoaded: 4, workers })))).toEqual([]);
  });

  it("--max-loaded: waits while the on-demand workers are busy; refuses when only workers spawned by hand fill it", () => {
    expect(planRoom(ask({ devices: [ram(32)], maxLoaded: 1, workers: [worker("a", 0, 1, { busy: true })] }))).toMatchObject({ kind: "wait", why: expect.stringMatching(/max-loaded 1/) });
    const full = planRoom(ask({ devices: [ram(32)], maxLoaded: 1, workers: [worker("by-hand", 9, 1, { onDemand: false })] }));
    expect(full.kind === "refuse" && full.error).toMatchObject({ code: "MAX_LOADED", message: expect.stringMatching(/1 worker\(s\) loaded \(max-loaded 1\), 1 of them spawned by hand/) });
  });
});
