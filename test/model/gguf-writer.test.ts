import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gguf } from "@huggingface/gguf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEMO_MODEL, demoModelParams, writeDemoModel } from "../../src/model/gguf-writer.ts";
import { loadEngine } from "../../src/worker/engine.ts";

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), "rbee-gguf-")); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("writeDemoModel", () => {
  it("writes the same bytes for the same seed and different bytes for another seed", () => {
    // given three writes, two with one seed
    writeDemoModel(join(dir, "a.gguf"), { seed: 7 });
    writeDemoModel(join(dir, "b.gguf"), { seed: 7 });
    writeDemoModel(join(dir, "c.gguf"), { seed: 8 });
    // then the files match exactly when the seeds match
    expect(sha(join(dir, "a.gguf"))).toBe(sha(join(dir, "b.gguf")));
    expect(sha(join(dir, "a.gguf"))).not.toBe(sha(join(dir, "c.gguf")));
    // and no temp file is left behind
    expect(readdirSync(dir).sort()).toEqual(["a.gguf", "b.gguf", "c.gguf"]);
  });

  it("writes a GGUF v3 header other readers understand", async () => {
    // given the default demo model
    const path = join(dir, DEMO_MODEL.file);
    writeDemoModel(path, { ctx: 1024 });
    // when a third-party parser reads it
    const parsed = await gguf(path, { allowLocalFile: true });
    const metadata = parsed.metadata as Record<string, unknown>;
    const tensorInfos = parsed.tensorInfos;
    // then it sees a llama model with our name, context and tokenizer
    expect(metadata.version).toBe(3);
    expect(metadata["general.architecture"]).toBe("llama");
    expect(metadata["general.name"]).toBe("rbee demo (random weights)");
    expect(Number(metadata["llama.context_length"])).toBe(1024);
    expect(metadata["tokenizer.ggml.model"]).toBe("llama");
    expect((metadata["tokenizer.ggml.tokens"] as string[]).slice(0, 4)).toEqual(["<unk>", "<s>", "</s>", "<0x00>"]);
    expect(typeof metadata["tokenizer.chat_template"]).toBe("string");
    // and the parameter count is tiny (~400K)
    const params = tensorInfos.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * Number(b), 1), 0);
    expect(params).toBe(demoModelParams());
    expect(params).toBeGreaterThan(300_000);
    expect(params).toBeLessThan(500_000);
  });

  it("rejects shapes ggml cannot store", () => {
    expect(() => writeDemoModel(join(dir, "x.gguf"), { dim: 48 })).toThrow(/multiples of 32/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each(["f32", "f16", "q8_0"] as const)("loads in llama.cpp and generates tokens (%s)", async (type) => {
    // given a demo model stored as %s
    const path = join(dir, `demo-${type}.gguf`);
    writeDemoModel(path, { type });
    // when node-llama-cpp loads it and generates 40 tokens
    const { getLlama } = await loadEngine();
    const logs: string[] = [];
    const llama = await getLlama({ gpu: false, build: "never", logger: (_level, msg) => logs.push(msg) });
    const model = await llama.loadModel({ modelPath: path });
    try {
      const context = await model.createContext({ contextSize: 256, threads: 1 });
      const sequence = context.getSequence();
      const out: import("node-llama-cpp").Token[] = [];
      for await (const token of sequence.evaluate(model.tokenize("the hive"), { temperature: 0.8, seed: 1 })) {
        out.push(token);
        if (out.length === 40) break;
      }
      // then it produced all 40 (never an end-of-sequence token) as readable text
      expect(out).toHaveLength(40);
      const text = model.detokenize(out);
      expect(text.length).toBeGreaterThan(0);
      expect(text).not.toContain("\uFFFD");
      await context.dispose();
    } finally {
      await model.dispose();
    }
  });
});
