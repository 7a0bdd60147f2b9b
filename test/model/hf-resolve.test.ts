import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pickGgufFile } from "../../src/model/hf-resolve.ts";
import { ModelService } from "../../src/model/model-service.ts";
import { runWithNarration } from "../../src/narration/context.ts";
import type { JobEvent, NarrationEvent } from "../../src/protocol/events.ts";
import { startFileServer, type FileServer } from "./file-server.ts";
import { freshHome, ggufFixture, ggufOfSize } from "./fixtures.ts";

describe("pickGgufFile", () => {
  const names = (...n: string[]) => n.map((name) => ({ name }));

  it("prefers Q4_K_M, then Q4_0, Q5_K_M, Q8_0", () => {
    expect(pickGgufFile(names("m.Q8_0.gguf", "m.Q4_K_M.gguf", "m.Q4_0.gguf", "m.Q2_K.gguf"), "o/r")).toBe("m.Q4_K_M.gguf");
    expect(pickGgufFile(names("m.Q8_0.gguf", "m.q4_0.gguf", "m.Q5_K_M.gguf"), "o/r")).toBe("m.q4_0.gguf");
    expect(pickGgufFile(names("m.Q8_0.gguf", "m.Q5_K_M.gguf", "m.F16.gguf"), "o/r")).toBe("m.Q5_K_M.gguf");
    expect(pickGgufFile(names("m.F16.gguf", "m.Q8_0.gguf"), "o/r")).toBe("m.Q8_0.gguf");
  });

  it("otherwise picks the smallest file, by size when known, by quant label when not", () => {
    expect(pickGgufFile([{ name: "a.F16.gguf", size: 900 }, { name: "b.gguf", size: 100 }, { name: "c.Q6_K.gguf", size: 300 }], "o/r")).toBe("b.gguf");
    expect(pickGgufFile(names("m.F16.gguf", "m.Q6_K.gguf", "m.IQ2_XS.gguf", "m.gguf"), "o/r")).toBe("m.IQ2_XS.gguf");
  });

  it("fails with NO_GGUF_FILES when there is nothing to pick", () => {
    expect(() => pickGgufFile([], "o/r")).toThrow(expect.objectContaining({ code: "NO_GGUF_FILES", message: expect.stringContaining("o/r") }));
  });
});

describe("hf: sources against a Hugging Face-shaped endpoint on loopback", () => {
  let home: Awaited<ReturnType<typeof freshHome>>;
  let server: FileServer;
  let models: ModelService;
  const saved = { endpoint: process.env.RBEE_HF_ENDPOINT, token: process.env.HF_TOKEN };
  const small = ggufOfSize(64 * 1024, { fileType: 15 });

  beforeEach(async () => {
    home = await freshHome();
    server = await startFileServer();
    process.env.RBEE_HF_ENDPOINT = `${server.base}/`;
    delete process.env.HF_TOKEN;
    models = new ModelService({ retryDelayMs: 1 });
  });
  afterEach(async () => {
    for (const [key, value] of [["RBEE_HF_ENDPOINT", saved.endpoint], ["HF_TOKEN", saved.token]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await server.stop();
    await home.restore();
  });

  it("given hf:ORG/REPO, lists the repo, picks Q4_K_M, downloads it and says which it picked", async () => {
    server.json.set("/api/models/org/Tiny-GGUF", {
      siblings: [
        { rfilename: "README.md" },
        { rfilename: "tiny.Q8_0.gguf" },
        { rfilename: "tiny.Q4_K_M.gguf" },
        { rfilename: "tiny.Q2_K.gguf" },
        { rfilename: "big-Q4_K_M-00001-of-00002.gguf" },
        { rfilename: "mmproj-tiny-Q4_K_M.gguf" },
        { rfilename: "../evil.Q4_K_M.gguf" },
      ],
    });
    server.files.set("/org/Tiny-GGUF/resolve/main/tiny.Q4_K_M.gguf", { body: small });
    server.files.set("/org/Tiny-GGUF/resolve/main/mmproj-tiny-Q4_K_M.gguf", { body: ggufFixture({ architecture: "clip" }) });
    const events: JobEvent[] = [];

    const record = await runWithNarration({ jobId: "t", correlationId: "t", emit: (e) => events.push(e) }, () => models.download("hf:org/Tiny-GGUF"));

    // The projector comes along, kept beside the model; it is never the model.
    expect(record).toMatchObject({ id: "tiny.q4_k_m", source: "hf:org/Tiny-GGUF:tiny.Q4_K_M.gguf", quantization: "Q4_K_M", mmproj: expect.stringMatching(/tiny\.q4_k_m\/mmproj-tiny-Q4_K_M\.gguf$/) });
    expect(server.servedFor("/api/models/org/Tiny-GGUF")[0].query).toBe("?blobs=true");
    const lines = events.filter((e): e is NarrationEvent => e.kind === "narration" && e.action === "model_resolve").map((e) => e.human);
    expect(lines.at(-1)).toBe("picked tiny.Q4_K_M.gguf (Q4_K_M, the default; the repo also has Q8_0, Q2_K: name one with hf:org/Tiny-GGUF:QUANT), with the vision projector mmproj-tiny-Q4_K_M.gguf");

    // Asked again: answered from the catalog, without asking the endpoint.
    await expect(models.download("hf:org/Tiny-GGUF")).resolves.toEqual(record);
    await expect(models.download("hf:org/Tiny-GGUF:tiny.Q4_K_M.gguf")).resolves.toEqual(record);
    expect(server.served).toHaveLength(3);
  });

  it("given hf:ORG/REPO:FILE, downloads that file without listing, sending HF_TOKEN", async () => {
    process.env.HF_TOKEN = "hf_test";
    server.files.set("/org/repo/resolve/main/sub/x.Q8_0.gguf", { body: small });
    const record = await models.download("hf:org/repo:sub/x.Q8_0.gguf");
    expect(record).toMatchObject({ id: "x.q8_0", source: "hf:org/repo:sub/x.Q8_0.gguf" });
    expect(server.served.map((s) => [s.path, s.authorization])).toEqual([["/org/repo/resolve/main/sub/x.Q8_0.gguf", "Bearer hf_test"]]);
  });

  it("given listed sizes, picks the smallest file and holds the transfer to the listed size", async () => {
    server.json.set("/api/models/org/sized", {
      siblings: [
        { rfilename: "m.F16.gguf", size: 9_000_000 },
        { rfilename: "m.Q6_K.gguf", size: small.length },
      ],
    });
    server.files.set("/org/sized/resolve/main/m.Q6_K.gguf", { body: small });
    await expect(models.download("hf:org/sized")).resolves.toMatchObject({ id: "m.q6_k", size_bytes: small.length });

    server.json.set("/api/models/org/changed", { siblings: [{ rfilename: "c.Q6_K.gguf", size: small.length + 1 }] });
    server.files.set("/org/changed/resolve/main/c.Q6_K.gguf", { body: small });
    await expect(models.download("hf:org/changed")).rejects.toMatchObject({ code: "DOWNLOAD_FAILED", message: expect.stringContaining(`expected ${small.length + 1}`) });
    expect(models.list().map((m) => m.id)).toEqual(["m.q6_k"]);
  });

  it("given a repo without GGUF files, fails with NO_GGUF_FILES", async () => {
    server.json.set("/api/models/org/pytorch-only", { siblings: [{ rfilename: "model.safetensors" }, { rfilename: "config.json" }] });
    await expect(models.download("hf:org/pytorch-only")).rejects.toMatchObject({ code: "NO_GGUF_FILES", hint: expect.stringContaining("GGUF") });
    expect(models.list()).toEqual([]);
  });

  it("given an unknown repo, fails with MODEL_NOT_FOUND", async () => {
    await expect(models.download("hf:org/nope")).rejects.toMatchObject({ code: "MODEL_NOT_FOUND", message: expect.stringContaining("org/nope") });
    expect(models.list()).toEqual([]);
  });

});
