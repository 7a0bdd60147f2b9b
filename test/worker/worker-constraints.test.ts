import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { WorkerServer } from "../../src/worker/server.ts";
import { collect, demoModelDir, infer, readyWorker, textOf } from "../helpers/worker-harness.ts";

// Random weights: only a grammar can make this model write valid JSON.
// `note` is nullable: zod writes anyOf, which node-llama-cpp only knows as oneOf.
const Weather = z.object({ city: z.string().max(24), unit: z.enum(["c", "f"]), ok: z.boolean(), tags: z.array(z.enum(["sun", "rain"])).max(3), note: z.string().max(8).nullable() }).strict();

describe("worker: grammars and penalties in the batched path", () => {
  let model: ReturnType<typeof demoModelDir>;
  let worker: WorkerServer;
  beforeAll(async () => {
    model = demoModelDir();
    worker = await readyWorker(model.modelPath, { slots: 2 });
  });
  afterAll(async () => {
    await worker?.stop();
    model?.cleanup();
  });

  it("a JSON schema makes every output parse and match it, while a free generation runs beside it", async () => {
    const schema = z.toJSONSchema(Weather);
    for (const seed of [1, 2, 3]) {
      const [constrained, free] = await Promise.all([
        collect(await infer(worker.url, { messages: [{ role: "user", content: "weather?" }], format: schema, max_tokens: 300, seed })),
        collect(await infer(worker.url, { prompt: "{", max_tokens: 20, seed })),
      ]);
      expect(constrained.at(-1)).toMatchObject({ event: "done", data: { finish_reason: "stop" } });
      expect(Weather.safeParse(JSON.parse(textOf(constrained))).success).toBe(true);
      // The other slot was not under the grammar: random weights give no JSON.
      expect(() => JSON.parse(`{${textOf(free)}`)).toThrow();
    }
  });

  it('format "json" gives JSON; a GBNF grammar is followed as is', async () => {
    // Random weights may wander in a long string; whether an answer closes within the budget depends
    // on the engine build's rounding. Every answer is JSON under way, and each that ends on its own parses.
    const answers = [];
    for (const seed of [1, 2, 3, 4]) answers.push(await collect(await infer(worker.url, { prompt: "data:", format: "json", max_tokens: 300, seed })));
    for (const a of answers) {
      expect(a.at(-1)!.event).toBe("done");
      expect(textOf(a)).toMatch(/^\{/);
      if (a.at(-1)!.data.finish_reason === "stop") expect(typeof JSON.parse(textOf(a))).toBe("object");
    }
    // anyOf is honoured (node-llama-cpp alone would take it for "any JSON").
    const anyOf = { type: "object", properties: { v: { anyOf: [{ const: 7 }, { const: "seven" }] } }, required: ["v"], additionalProperties: false };
    for (const seed of [1, 2, 3]) {
      const out = JSON.parse(textOf(await collect(await infer(worker.url, { prompt: "v?", format: anyOf, max_tokens: 40, seed }))));
      expect([7, "seven"]).toContain(out.v);
    }
    for (const seed of [1, 2, 3, 4]) {
      const yesNo = await collect(await infer(worker.url, { prompt: "ok?", grammar: 'root ::= "yes" | "no"', max_tokens: 10, seed }));
      expect(["yes", "no"]).toContain(textOf(yesNo));
    }
  });

  it("a schema or grammar llama.cpp cannot use is a 400 naming the field, and takes no slot", async () => {
    const bad = await infer(worker.url, { prompt: "x", grammar: "root ::= (" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "INVALID_GRAMMAR", message: expect.stringMatching(/^grammar:/) });
    const both = await infer(worker.url, { prompt: "x", grammar: 'root ::= "a"', format: "json" });
    expect(both.status).toBe(400);
    const ok = await collect(await infer(worker.url, { prompt: "x", max_tokens: 2 }));
    expect(ok.at(-1)!.event).toBe("done");
  });

  it("penalties change what is sampled: a strong presence penalty stops tokens repeating", async () => {
    const body = { prompt: "the hive", max_tokens: 40, temperature: 0, seed: 3 };
    const plain = textOf(await collect(await infer(worker.url, body)));
    const penalised = textOf(await collect(await infer(worker.url, { ...body, presence_penalty: 2, repeat_penalty: 3, repeat_last_n: 64 })));
    expect(penalised).not.toBe(plain);
    // Unpenalised, random weights loop on a few pieces ("tntntn…"); penalised, they cannot.
    const distinct = (s: string) => new Set(s).size;
    expect(distinct(penalised)).toBeGreaterThan(2 * distinct(plain));
  });
});
