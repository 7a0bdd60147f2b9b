import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Device } from "../../src/engine/devices.ts";
import { placeOnHive } from "../../src/engine/engine-handlers.ts";
import { estimateModelMemory, type MemoryEstimate } from "../../src/engine/memory-estimate.ts";
import { placeWorker } from "../../src/engine/placement.ts";
import { writeDemoModel } from "../../src/model/gguf-writer.ts";
import { narrated } from "../helpers/narration.ts";

const GiB = 1024 ** 3;
const need = (gib: number): MemoryEstimate => ({ weights_bytes: gib * GiB, kv_bytes: 0, overhead_bytes: 0, total_bytes: gib * GiB, layers: 32, context_per_slot: 4096, slots: 1, train_context: 4096 });
const dev = (id: string, freeGiB: number, extra: Partial<Device> = {}): Device => ({
  id, backend: id.split(":")[0] as Device["backend"], name: id, memory_total_bytes: freeGiB * GiB, memory_free_bytes: freeGiB * GiB, software: false, engine: id.startsWith("cpu") ? "built-in" : "installed", ...extra,
});
const cpu = (freeGiB: number) => dev("cpu:0", freeGiB, { cores: 8 });

describe("placement: where a worker goes, before anything starts", () => {
  it("auto takes the GPU with the most free memory that holds the whole model", () => {
    const d = placeWorker("auto", need(6), [cpu(32), dev("cuda:0", 5.2), dev("cuda:1", 11)], "gpu1");
    expect(d).toMatchObject({ device: "cuda:1", gpuLayers: "auto", whole: true });
  });

  it("auto never picks a software device, even when it is the only GPU with room", () => {
    const d = placeWorker("auto", need(1), [cpu(32), dev("vulkan:0", 2, { software: true, name: "llvmpipe (LLVM 15.0.6, 256 bits)" })], "lab");
    expect(d.device).toBe("cpu:0");
    expect(d.reason).toContain("vulkan:0 skipped (software)");
  });

  it("auto offloads part of a model to a GPU that holds some of it, else falls back to the CPU", () => {
    expect(placeWorker("auto", need(8), [cpu(32), dev("cuda:0", 5)], "gpu1")).toMatchObject({ device: "cuda:0", whole: false });
    expect(placeWorker("auto", need(8), [cpu(32), dev("cuda:0", 1)], "gpu1")).toMatchObject({ device: "cpu:0", gpuLayers: 0 });
    expect(placeWorker("auto", need(8), [cpu(32), dev("cuda:0", 24, { engine: "missing" })], "gpu1").device).toBe("cpu:0");
  });

  it("a software device named explicitly is used", () => {
    const d = placeWorker("vulkan:0", need(0.1), [cpu(32), dev("vulkan:0", 2, { software: true })], "lab");
    expect(d).toMatchObject({ device: "vulkan:0", whole: true });
  });

  it("refuses a device that does not exist, listing the valid ones", () => {
    const devices = [cpu(32), dev("vulkan:0", 2, { software: true, name: "llvmpipe" })];
    for (const id of ["cpu:7", "vulkan:3", "cuda:0"]) {
      let err: any;
      try {
        placeWorker(id, need(0.1), devices, "lab");
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: "DEVICE_NOT_FOUND" });
      expect(err.message).toContain(id);
      expect(err.message).toContain("valid devices: cpu:0 (cpu:0), vulkan:0 (llvmpipe, software)");
    }
  });

  it("refuses a GPU whose engine is missing, saying how to install it", () => {
    expect(() => placeWorker("cuda:0", need(1), [cpu(32), dev("cuda:0", 24, { engine: "missing" })], "gpu1")).toThrow(/the cuda engine is not installed on hive gpu1/);
  });

  it("when nothing holds the model, says what it needs and the largest free memory per device", () => {
    let err: any;
    try {
      placeWorker("auto", need(40), [cpu(3.1), dev("cuda:0", 5.2)], "gpu1");
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "PLACEMENT_NO_FIT" });
    expect(err.message).toMatch(/^needs 40\.0 GiB .*; largest free: cuda:0 on gpu1 5\.2 GiB, RAM on gpu1 3\.1 GiB$/);
  });
});

describe("placement with a real GGUF header and this machine's devices", () => {
  let dir: string;
  let previous: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "rbee-place-"));
    previous = process.env.RBEE_HOME;
    process.env.RBEE_HOME = dir;
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.RBEE_HOME;
    else process.env.RBEE_HOME = previous;
    rmSync(dir, { recursive: true, force: true });
  });

  it("estimates weights, KV cache and scratch from the header of the demo model", async () => {
    const path = join(dir, "demo.gguf");
    writeDemoModel(path);
    const est = await estimateModelMemory(path, { slots: 2 });
    // 6 layers × 2048 tokens × 2 slots × (K 16 + V 16 wide per head) × 4 KV heads × 2 bytes (f16)
    expect(est).toMatchObject({ layers: 6, context_per_slot: 2048, slots: 2, weights_bytes: statSync(path).size });
    expect(est.kv_bytes).toBe(6 * 2048 * 2 * (16 + 16) * 4 * 2);
    expect(est.total_bytes).toBe(est.weights_bytes + est.kv_bytes + est.overhead_bytes);
  });

  it("refuses, before any process starts, a model whose header declares more than any device holds", async () => {
    // given a sparse GGUF declaring a 70B-shaped F32 model (~300 GB on paper, a few KB on disk)
    const path = join(dir, "huge.gguf");
    writeDemoModel(path, { dim: 8192, heads: 64, layers: 80, ff: 28672, sparse: true });
    expect(statSync(path).size).toBeGreaterThan(200 * GiB);
    // when a worker is placed on this hive (auto, and on the CPU by name)
    for (const device of ["auto", "cpu:0"]) {
      const { error } = await narrated(() => placeOnHive("localhost", path, device, 1));
      // then it is refused with what it needs and what each device has free
      expect(error).toMatchObject({ code: "PLACEMENT_NO_FIT" });
      expect(error.message).toMatch(/^needs \d+\.\d GiB \(weights .* KV cache .*\); largest free: RAM on localhost \d+\.\d GiB$/);
    }
  });
});
