import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gguf } from "@huggingface/gguf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readGgufInfo } from "../../src/model/gguf-read.ts";
import { writeDemoModel } from "../../src/model/gguf-writer.ts";

describe("readGgufInfo: a GGUF header's scalars and parameter count, its arrays stepped over", () => {
  let dir: string;
  let model: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "rbee-gguf-read-"));
    model = join(dir, "m.gguf");
    writeDemoModel(model, { dim: 64, layers: 2, heads: 4, vocab: 4096, type: "q8_0", seed: 3 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("given a model with a tokenizer, reads what a full GGUF parser reads, less the arrays", async () => {
    const full = await gguf(model, { allowLocalFile: true, computeParametersCount: true });
    const info = readGgufInfo(model);
    const scalars = Object.entries(full.metadata).filter(([k, v]) => !Array.isArray(v) && !["version", "tensor_count", "kv_count"].includes(k));
    expect(info.metadata).toEqual(Object.fromEntries(scalars.map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])));
    expect(info.metadata["llama.block_count"]).toBe(2);
    expect(info.metadata).not.toHaveProperty("tokenizer.ggml.tokens");
    expect(info.parameterCount).toBe(full.parameterCount);
  });

  it("given a file cut inside its vocabulary, says the header ends early", () => {
    const bytes = readFileSync(model);
    const inVocab = bytes.indexOf("tokenizer.ggml.tokens") + 2000;
    writeFileSync(model, bytes.subarray(0, inVocab));
    expect(() => readGgufInfo(model)).toThrow(`the header ends early, at byte ${inVocab}`);
  });

  it("given a version llama.cpp does not load, names it", () => {
    const bytes = readFileSync(model);
    bytes.writeUInt32LE(1, 4);
    writeFileSync(model, bytes);
    expect(() => readGgufInfo(model)).toThrow("GGUF version 1 is not one llama.cpp loads");
  });
});
