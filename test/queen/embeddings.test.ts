import OpenAI from "openai";
import { Ollama } from "ollama";
import { describe, expect, it } from "vitest";
import { demoQueenForSuite } from "../helpers/openai-queen.ts";

const DEMO_DIM = 64;
const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe("embeddings: OpenAI /v1/embeddings and Ollama /api/embed (official clients, demo model)", () => {
  const suite = demoQueenForSuite();

  it("a batch gives one vector per input with the model's dimension; the same input gives the same vector", async () => {
    const res = await suite.client.embeddings.create({ model: "demo-tiny", input: ["the queen", "the hive", "the queen"], encoding_format: "float" });
    expect(res.data.map((d) => d.index)).toEqual([0, 1, 2]);
    for (const d of res.data) expect(d.embedding).toHaveLength(DEMO_DIM);
    const [a, b, c] = res.data.map((d) => d.embedding);
    expect(c).toEqual(a);
    expect(cosine(a!, a!)).toBeCloseTo(1, 5);
    expect(cosine(a!, b!)).toBeLessThan(0.999);
    expect(res.usage.prompt_tokens).toBeGreaterThan(3);
  });

  it("base64 decodes to the same float32 values (the openai client's default encoding)", async () => {
    const float = await suite.client.embeddings.create({ model: "demo-tiny", input: "the queen", encoding_format: "float" });
    // Without encoding_format the client asks for base64 and decodes it itself.
    const decoded = await suite.client.embeddings.create({ model: "demo-tiny", input: "the queen" });
    expect(decoded.data[0]!.embedding).toHaveLength(DEMO_DIM);
    decoded.data[0]!.embedding.forEach((x, i) => expect(x).toBeCloseTo(float.data[0]!.embedding[i]!, 6));
  });

  it("dimensions and token input are refused, naming them", async () => {
    for (const [extra, param] of [[{ dimensions: 8 }, "dimensions"], [{ input: [1, 2, 3] }, "input"]] as const) {
      const err = (await suite.client.embeddings.create({ model: "demo-tiny", input: "x", ...extra } as never).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.param).toBe(param);
    }
  });

  it("ollama.embed gives the same vectors", async () => {
    const ollama = new Ollama({ host: suite.t.queen.url });
    const res = await ollama.embed({ model: "demo-tiny", input: ["the queen", "the hive"] });
    expect(res.embeddings).toHaveLength(2);
    const viaOpenAi = await suite.client.embeddings.create({ model: "demo-tiny", input: "the hive", encoding_format: "float" });
    res.embeddings[1]!.forEach((x, i) => expect(x).toBeCloseTo(viaOpenAi.data[0]!.embedding[i]!, 6));
  });
});
