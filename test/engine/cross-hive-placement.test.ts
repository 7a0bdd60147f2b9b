import { describe, expect, it } from "vitest";
import type { Device } from "../../src/engine/devices.ts";
import { placeAcrossHives, type HiveCandidate } from "../../src/engine/cross-hive-placement.ts";
import type { MemoryEstimate } from "../../src/engine/memory-estimate.ts";

const GiB = 1024 ** 3;
const need = (gib: number): MemoryEstimate => ({ weights_bytes: gib * GiB, kv_bytes: 0, overhead_bytes: 0, total_bytes: gib * GiB, layers: 32, context_per_slot: 4096, slots: 4, train_context: 4096 });
const dev = (id: string, freeGiB: number, extra: Partial<Device> = {}): Device => ({
  id, backend: id.split(":")[0] as Device["backend"], name: id, memory_total_bytes: freeGiB * GiB, memory_free_bytes: freeGiB * GiB, software: false, engine: id.startsWith("cpu") ? "built-in" : "installed", ...extra,
});
const hive = (hiveId: string, devices: Device[], extra: Partial<HiveCandidate> = {}): HiveCandidate => ({ hiveId, need: need(7.9), devices, workers: 0, embedded: false, ...extra });

describe("placement across hives: the hive whose devices hold the model", () => {
  it("prefers a hive whose GPU holds the whole model over hives with more RAM or fewer workers", () => {
    const choice = placeAcrossHives("auto", [
      hive("localhost", [dev("cpu:0", 64)], { embedded: true }),
      hive("small", [dev("cpu:0", 16), dev("cuda:0", 6)]),
      hive("gpu1", [dev("cpu:0", 16), dev("cuda:0", 5), dev("cuda:1", 11)], { workers: 2 }),
    ]);
    expect(choice).toMatchObject({ hiveId: "gpu1", decision: { device: "cuda:1", whole: true } });
    expect(choice.reason).toMatch(/^hive gpu1, cuda:1 \(cuda:1\): the whole model fits \(needs 7\.9 GiB, 11\.0 GiB free\); it runs 2 worker\(s\); other hives with the model: small → cuda:0 \(part of the model on a GPU, 0 worker\(s\)\), localhost → cpu:0 \(the CPU, 0 worker\(s\)\)$/);
  });

  it("else partial offload, else the CPU of the hive with room; a software GPU is never picked", () => {
    const partial = placeAcrossHives("auto", [hive("nas", [dev("cpu:0", 30)]), hive("gpu1", [dev("cpu:0", 8), dev("cuda:0", 4)])]);
    expect(partial).toMatchObject({ hiveId: "gpu1", decision: { device: "cuda:0", whole: false } });
    const cpu = placeAcrossHives("auto", [
      hive("lab", [dev("cpu:0", 4), dev("vulkan:0", 32, { software: true, name: "llvmpipe" })]),
      hive("nas", [dev("cpu:0", 9)]),
    ]);
    expect(cpu).toMatchObject({ hiveId: "nas", decision: { device: "cpu:0", gpuLayers: 0 } });
    expect(cpu.reason).toContain("lab → cannot hold it");
  });

  it("within a tier takes the fewest workers, then the most free memory, then the embedded hive", () => {
    expect(placeAcrossHives("auto", [hive("a", [dev("cpu:0", 40)], { workers: 1 }), hive("b", [dev("cpu:0", 20)])]).hiveId).toBe("b");
    expect(placeAcrossHives("auto", [hive("a", [dev("cpu:0", 20)]), hive("b", [dev("cpu:0", 30)])]).hiveId).toBe("b");
    expect(placeAcrossHives("auto", [hive("a", [dev("cpu:0", 20)]), hive("local", [dev("cpu:0", 20)], { embedded: true })]).hiveId).toBe("local");
  });

  it("when no hive can hold the model, refuses with required vs available per device across hives", () => {
    let err: any;
    try {
      placeAcrossHives("auto", [hive("nas", [dev("cpu:0", 3.1)]), hive("gpu1", [dev("cpu:0", 2), dev("cuda:0", 5.2), dev("vulkan:0", 1, { software: true })])]);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "PLACEMENT_NO_FIT", status: 507 });
    expect(err.message).toMatch(/^needs 7\.9 GiB \(weights 7\.9 GiB, KV cache 0 B for 4 slot\(s\) × 4096 tokens\); largest free: cuda:0 on gpu1 5\.2 GiB, RAM on nas 3\.1 GiB, RAM on gpu1 2\.0 GiB$/);
  });

  it("a device named for every hive is refused with each hive's reason when none has it", () => {
    expect(() => placeAcrossHives("cuda:0", [hive("nas", [dev("cpu:0", 30)]), hive("lab", [dev("cpu:0", 30)])])).toThrow(/hive nas has no device cuda:0; .*; hive lab has no device cuda:0/);
    expect(placeAcrossHives("cuda:0", [hive("nas", [dev("cpu:0", 30)]), hive("gpu1", [dev("cpu:0", 30), dev("cuda:0", 8)])]).hiveId).toBe("gpu1");
  });
});
