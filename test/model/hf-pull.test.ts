import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { modelsDir } from "../../src/config/paths.ts";
import { ModelService } from "../../src/model/model-service.ts";
import { runWithNarration } from "../../src/narration/context.ts";
import type { JobEvent, NarrationEvent } from "../../src/protocol/events.ts";
import { startFileServer, type FileServer } from "./file-server.ts";
import { freshHome, ggufFixture, ggufOfSize, sha256 } from "./fixtures.ts";

/** Pulling from a Hugging Face-shaped endpoint on loopback: quant tags, shards, projectors, gated repos. */
describe("hf: pulls", () => {
  let home: Awaited<ReturnType<typeof freshHome>>;
  let server: FileServer;
  let models: ModelService;
  const keys = ["RBEE_HF_ENDPOINT", "HF_ENDPOINT", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"] as const;
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  const small = ggufOfSize(32 * 1024, { fileType: 15 });
  const events: JobEvent[] = [];
  const inJob = <T>(fn: () => Promise<T>) => runWithNarration({ jobId: "t", correlationId: "t", emit: (e) => events.push(e) }, fn);
  const said = (action: string) => events.filter((e): e is NarrationEvent => e.kind === "narration" && e.action === action).map((e) => e.human);
  const repoFile = (repo: string, name: string, body: Uint8Array) => server.files.set(`/${repo}/resolve/main/${name}`, { body });

  beforeEach(async () => {
    home = await freshHome();
    server = await startFileServer();
    for (const k of keys) delete process.env[k];
    // The variable Hugging Face's own tools read.
    process.env.HF_ENDPOINT = server.base;
    models = new ModelService({ retryDelayMs: 1 });
    events.length = 0;
  });
  afterEach(async () => {
    for (const k of keys) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    await server.stop();
    await home.restore();
  });

  it("given hf:ORG/REPO:QUANT in any case, downloads that quant with the quant in the id; an unknown quant lists those there are", async () => {
    server.json.set("/api/models/org/Multi-GGUF", {
      siblings: ["multi.Q8_0.gguf", "multi.Q4_K_M.gguf", "multi.Q5_K_M.gguf", "multi.IQ4_XS.gguf"].map((rfilename) => ({ rfilename })),
    });
    repoFile("org/Multi-GGUF", "multi.Q5_K_M.gguf", small);

    const record = await inJob(() => models.download("hf:org/Multi-GGUF:q5_k_m"));

    expect(record).toMatchObject({ id: "multi.q5_k_m", source: "hf:org/Multi-GGUF:multi.Q5_K_M.gguf", sha256: sha256(small) });
    expect(said("model_resolve").at(-1)).toBe("picked multi.Q5_K_M.gguf (the Q5_K_M model)");
    const asked = server.served.length;
    // Asked again by its tag: answered from the catalog, nothing fetched.
    await expect(models.download("hf:org/Multi-GGUF:Q5_K_M")).resolves.toEqual(record);
    expect(server.served).toHaveLength(asked);

    const err = await models.download("hf:org/Multi-GGUF:Q3_K_S").catch((e) => e);
    expect(err).toMatchObject({ code: "UNKNOWN_QUANT", message: "the Hugging Face repo org/Multi-GGUF has no Q3_K_S model (it has Q8_0, Q4_K_M, Q5_K_M, IQ4_XS)", hint: "pick one of them: hf:org/Multi-GGUF:Q8_0" });
    expect(models.list().map((m) => m.id)).toEqual(["multi.q5_k_m"]);
  });

  it("given a sharded model, downloads every shard into one folder as one model, and deletes it as one", async () => {
    const shards = [ggufOfSize(16 * 1024, { fileType: 15 }), ggufFixture({ architecture: null, tensors: [{ name: "blk.0.w", shape: [2048] }] }), ggufFixture({ architecture: null, tensors: [{ name: "blk.1.w", shape: [1024] }] })];
    const names = shards.map((_, i) => `Big-Q4_K_M-0000${i + 1}-of-00003.gguf`);
    server.json.set("/api/models/org/Big-GGUF", {
      siblings: [...names.map((rfilename) => ({ rfilename })), { rfilename: "Big-Q8_0-00001-of-00002.gguf" }],
    });
    names.forEach((n, i) => repoFile("org/Big-GGUF", n, shards[i]));

    const record = await inJob(() => models.download("hf:org/Big-GGUF"));

    const folder = join(modelsDir(), "big-q4_k_m");
    expect(record).toMatchObject({ id: "big-q4_k_m", source: `hf:org/Big-GGUF:${names[0]}`, path: join(folder, names[0]), size_bytes: shards.reduce((a, s) => a + s.length, 0) });
    expect(record.parameters).toBe(16 * 1024 / 4 + 2048 + 1024);
    expect(record.files).toEqual(names.map((n, i) => ({ name: `big-q4_k_m/${n}`, size_bytes: shards[i].length, sha256: sha256(shards[i]), role: i === 0 ? "model" : "shard" })));
    expect(readdirSync(folder).sort()).toEqual([...names].sort());
    // The incomplete Q8_0 set was never a candidate.
    expect(said("model_resolve").at(-1)).toBe("picked Big-Q4_K_M-00001-of-00003.gguf (Q4_K_M, 3 shards)");

    await models.delete("big-q4_k_m");
    expect(existsSync(folder)).toBe(false);
  });

  it("given a shard's name, fetches the whole set without listing the repo", async () => {
    const shards = [ggufOfSize(8 * 1024), ggufFixture({ architecture: null, tensors: [{ name: "blk.0.w", shape: [512] }] })];
    shards.forEach((s, i) => repoFile("org/two", `two-0000${i + 1}-of-00002.gguf`, s));
    const record = await models.download("hf:org/two:two-00001-of-00002.gguf");
    expect(record.files?.map((f) => f.name)).toEqual(["two/two-00001-of-00002.gguf", "two/two-00002-of-00002.gguf"]);
    expect(server.served.map((s) => s.path)).toEqual(["/org/two/resolve/main/two-00001-of-00002.gguf", "/org/two/resolve/main/two-00002-of-00002.gguf"]);
  });

  it("keeps the repo's vision projector beside its model and never runs a projector as the model", async () => {
    const projector = ggufFixture({ architecture: "clip", name: "projector" });
    server.json.set("/api/models/org/Vision-GGUF", {
      siblings: ["mmproj-vision-Q8_0.gguf", "vision.Q4_K_M.gguf", "mmproj-vision-f16.gguf"].map((rfilename) => ({ rfilename })),
    });
    repoFile("org/Vision-GGUF", "vision.Q4_K_M.gguf", small);
    repoFile("org/Vision-GGUF", "mmproj-vision-f16.gguf", projector);

    const record = await inJob(() => models.download("hf:org/Vision-GGUF"));

    const folder = join(modelsDir(), "vision.q4_k_m");
    expect(record).toMatchObject({ id: "vision.q4_k_m", path: join(folder, "vision.Q4_K_M.gguf"), mmproj: join(folder, "mmproj-vision-f16.gguf"), size_bytes: small.length });
    expect(record.files?.map((f) => [f.name, f.role])).toEqual([["vision.q4_k_m/vision.Q4_K_M.gguf", "model"], ["vision.q4_k_m/mmproj-vision-f16.gguf", "mmproj"]]);
    expect(said("model_resolve").at(-1)).toBe("picked vision.Q4_K_M.gguf (Q4_K_M), with the vision projector mmproj-vision-f16.gguf");
    expect(models.get("vision.q4_k_m")).toEqual(record);

    server.json.set("/api/models/org/only-projectors", { siblings: [{ rfilename: "mmproj-x-f16.gguf" }] });
    await expect(models.download("hf:org/only-projectors")).rejects.toMatchObject({ code: "NO_GGUF_FILES" });
  });

  it("given a gated repo, fails with MODEL_GATED naming it without HF_TOKEN, downloads with it, and never sends the token to another host", async () => {
    const cdn = await startFileServer();
    try {
      server.tokens.set("/api/models/org/gated", "hf_secret_token");
      server.tokens.set("/org/gated/", "hf_secret_token");
      server.json.set("/api/models/org/gated", { siblings: [{ rfilename: "g.Q4_K_M.gguf", size: small.length }] });
      // Hugging Face answers file downloads with a redirect to its CDN, another host.
      server.redirects.set("/org/gated/resolve/main/g.Q4_K_M.gguf", cdn.url("/blob/g"));
      cdn.files.set("/blob/g", { body: small });

      for (const source of ["hf:org/gated", "hf:org/gated:g.Q4_K_M.gguf"]) {
        const err = await models.download(source).catch((e) => e);
        expect(err).toMatchObject({
          code: "MODEL_GATED",
          message: "the Hugging Face repo org/gated needs a token (HTTP 401): it is gated or private",
          hint: "set HF_TOKEN to a Hugging Face access token on the hive, and accept the repo's terms on huggingface.co/org/gated",
        });
      }
      expect(cdn.served).toEqual([]);

      process.env.HF_TOKEN = "hf_wrong";
      await expect(models.download("hf:org/gated")).rejects.toMatchObject({ code: "MODEL_FORBIDDEN", message: "the Hugging Face repo org/gated refused HF_TOKEN (HTTP 401)" });

      process.env.HF_TOKEN = "hf_secret_token";
      const record = await inJob(() => models.download("hf:org/gated"));
      expect(record).toMatchObject({ id: "g.q4_k_m", sha256: sha256(small) });
      expect(server.servedFor("/org/gated/resolve/main/g.Q4_K_M.gguf").at(-1)?.authorization).toBe("Bearer hf_secret_token");
      expect(cdn.served.map((s) => s.authorization)).toEqual([null]);
      expect(JSON.stringify(events)).not.toContain("hf_secret_token");
      expect(JSON.stringify(models.list())).not.toContain("hf_secret_token");
    } finally {
      await cdn.stop();
    }
  });
});
