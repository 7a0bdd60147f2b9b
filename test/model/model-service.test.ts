import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { modelsDir } from "../../src/config/paths.ts";
import { DEMO_MODEL, demoModelParams, writeDemoModel } from "../../src/model/gguf-writer.ts";
import { ModelService } from "../../src/model/model-service.ts";
import { importDir } from "../../src/model/model-folders.ts";
import { runWithNarration } from "../../src/narration/context.ts";
import type { JobEvent, NarrationEvent } from "../../src/protocol/events.ts";
import { startFileServer, type FileServer } from "./file-server.ts";
import { freshHome, ggufFixture, ggufOfSize, sha256, until, writeGgufFixture } from "./fixtures.ts";

function inJob<T>(events: JobEvent[], fn: () => Promise<T>): Promise<T> {
  return runWithNarration({ jobId: "t", correlationId: "t", emit: (e) => events.push(e) }, fn);
}

function actions(events: JobEvent[]): string[] {
  return events.filter((e): e is NarrationEvent => e.kind === "narration").map((e) => e.action);
}

/** Files in the models folder besides the catalog database. */
function modelFiles(): string[] {
  return readdirSync(modelsDir()).filter((f) => !f.startsWith("catalog.db"));
}

describe("ModelService", () => {
  let home: Awaited<ReturnType<typeof freshHome>>;
  let server: FileServer;
  let models: ModelService;
  const model = ggufOfSize(512 * 1024, { architecture: "llama", contextLength: 4096, fileType: 2 });

  beforeEach(async () => {
    home = await freshHome();
    server = await startFileServer();
    server.files.set("/files/tiny.Q4_0.gguf", { body: model });
    models = new ModelService({ retryDelayMs: 1 });
  });
  afterEach(async () => {
    await server.stop();
    await home.restore();
  });

  it("given a URL, downloads the model, reads its header and catalogs it", async () => {
    const events: JobEvent[] = [];
    const record = await inJob(events, () => models.download(server.url("/files/tiny.Q4_0.gguf")));

    expect(record).toMatchObject({
      id: "tiny.q4_0",
      source: server.url("/files/tiny.Q4_0.gguf"),
      path: join(modelsDir(), "tiny.q4_0.gguf"),
      size_bytes: model.length,
      sha256: sha256(model),
      architecture: "llama",
      parameters: 128 * 1024,
      context_length: 4096,
      quantization: "Q4_0",
    });
    expect(sha256(new Uint8Array(await readFile(record.path)))).toBe(sha256(model));
    expect(models.list()).toEqual([record]);
    expect(models.get("tiny.q4_0")).toEqual(record);
    expect(models.get("Tiny.Q4_0")).toEqual(record);
    expect(actions(events)).toEqual(expect.arrayContaining(["download_start", "download_progress", "download_done", "model_ready"]));
  });

  it("given a model already present, does nothing and says so", async () => {
    const first = await models.download(server.url("/files/tiny.Q4_0.gguf"));
    const events: JobEvent[] = [];
    const again = await inJob(events, () => models.download(server.url("/files/tiny.Q4_0.gguf")));
    expect(again).toEqual(first);
    expect(server.servedFor("/files/tiny.Q4_0.gguf")).toHaveLength(1);
    expect(actions(events)).toEqual(["model_present"]);
  });

  it("given the same model asked for twice at once, fetches it once", async () => {
    const a: JobEvent[] = [];
    const b: JobEvent[] = [];
    const url = server.url("/files/tiny.Q4_0.gguf");
    const [ra, rb] = await Promise.all([inJob(a, () => models.download(url)), inJob(b, () => models.download(url))]);
    expect(ra).toEqual(rb);
    expect(server.servedFor("/files/tiny.Q4_0.gguf")).toHaveLength(1);
    expect(actions(b)).toContain("model_wait");
    expect(models.list()).toHaveLength(1);
  });

  it("given two waiters on one download, one cancelling does not stop it for the other", async () => {
    server.files.set("/files/tiny.Q4_0.gguf", { body: model, stallOnceAfter: 128 * 1024 });
    const url = server.url("/files/tiny.Q4_0.gguf");
    const quitter = new AbortController();
    const a = models.download(url, { signal: quitter.signal });
    const b = models.download(url);
    const part = join(modelsDir(), "tiny.q4_0.gguf.part");
    await until(() => existsSync(part) && statSync(part).size === 128 * 1024, 10_000, "128 KiB on disk");

    quitter.abort();
    await expect(a).rejects.toMatchObject({ code: "CANCELLED" });
    server.releaseStalled();

    expect((await b).sha256).toBe(sha256(model));
    expect(server.servedFor("/files/tiny.Q4_0.gguf")).toHaveLength(1);
  });

  it("given every waiter cancelling, stops the transfer, keeps the part and catalogs nothing", async () => {
    server.files.set("/files/tiny.Q4_0.gguf", { body: model, stallOnceAfter: 128 * 1024 });
    const controller = new AbortController();
    const pending = models.download(server.url("/files/tiny.Q4_0.gguf"), { signal: controller.signal });
    const part = join(modelsDir(), "tiny.q4_0.gguf.part");
    await until(() => existsSync(part) && statSync(part).size === 128 * 1024, 10_000, "128 KiB on disk");

    controller.abort();

    await expect(pending).rejects.toMatchObject({ code: "CANCELLED" });
    expect(models.list()).toEqual([]);
    expect(existsSync(join(modelsDir(), "tiny.q4_0.gguf"))).toBe(false);
    const resumed = await models.download(server.url("/files/tiny.Q4_0.gguf"));
    expect(resumed.sha256).toBe(sha256(model));
    expect(server.servedFor("/files/tiny.Q4_0.gguf")[1]).toMatchObject({ range: `bytes=${128 * 1024}-`, bytes: model.length - 128 * 1024 });
  });

  it("given a 404, fails with MODEL_NOT_FOUND and leaves the catalog and folder unchanged", async () => {
    const err = await models.download(server.url("/files/missing.gguf")).catch((e) => e);
    expect(err).toMatchObject({ code: "MODEL_NOT_FOUND", status: 404, hint: expect.any(String) });
    expect(models.list()).toEqual([]);
    expect(modelFiles()).toEqual([]);
  });

  it("given content that is not GGUF, fails with NOT_GGUF and leaves nothing behind", async () => {
    server.files.set("/files/page.gguf", { body: new TextEncoder().encode("<!DOCTYPE html><html>sign in to continue</html>") });
    const err = await models.download(server.url("/files/page.gguf")).catch((e) => e);
    expect(err).toMatchObject({ code: "NOT_GGUF", message: expect.stringContaining("looks like a web page") });
    expect(err.message).not.toContain("<!DO");
    expect(models.list()).toEqual([]);
    expect(modelFiles()).toEqual([]);
  });

  it("given a file with the GGUF magic but a broken header, fails with NOT_GGUF and removes it", async () => {
    server.files.set("/files/broken.gguf", { body: ggufFixture().slice(0, 40) });
    const err = await models.download(server.url("/files/broken.gguf")).catch((e) => e);
    expect(err).toMatchObject({ code: "NOT_GGUF" });
    expect(models.list()).toEqual([]);
    expect(modelFiles()).toEqual([]);
  });

  it("refuses to delete a model a worker uses, then deletes file and row", async () => {
    const record = await models.download(server.url("/files/tiny.Q4_0.gguf"));

    const refused = await models.delete(record.id, { inUse: (id) => id === record.id }).catch((e) => e);
    expect(refused).toMatchObject({ code: "MODEL_IN_USE", status: 409 });
    expect(existsSync(record.path)).toBe(true);
    expect(models.list()).toHaveLength(1);

    await models.delete(record.id, { inUse: () => false });
    expect(existsSync(record.path)).toBe(false);
    expect(models.list()).toEqual([]);
    expect(() => models.get(record.id)).toThrow(expect.objectContaining({ code: "MODEL_NOT_FOUND", status: 404, hint: expect.stringContaining("rbee model list") }));
  });

  it("rejects bad sources and ids without touching anything", async () => {
    for (const bad of ["hf:../etc", "hf:org/repo:../../x.gguf", "http://192.0.2.1/x.gguf", "demo:big", "hf:a/b\u0007"]) {
      await expect(models.download(bad)).rejects.toMatchObject({ code: "INVALID_MODEL_SOURCE" });
    }
    expect(() => models.get("../catalog")).toThrow(expect.objectContaining({ code: "INVALID_MODEL_ID" }));
    expect(server.served).toEqual([]);
    expect(models.list()).toEqual([]);
  });

  it("given a different source for an id already taken, refuses with MODEL_ID_TAKEN", async () => {
    server.files.set("/other/tiny.Q4_0.gguf", { body: model });
    const [first, second] = await Promise.allSettled([models.download(server.url("/files/tiny.Q4_0.gguf")), models.download(server.url("/other/tiny.Q4_0.gguf"))]);
    expect(first.status).toBe("fulfilled");
    expect(second).toMatchObject({ status: "rejected", reason: { code: "MODEL_ID_TAKEN", status: 409 } });
    await expect(models.download(server.url("/other/tiny.Q4_0.gguf"))).rejects.toMatchObject({ code: "MODEL_ID_TAKEN", status: 409 });
    expect(server.servedFor("/other/tiny.Q4_0.gguf")).toEqual([]);
  });

  it("given a file in the import folder (an upload), moves it into the models folder rather than keeping it twice", async () => {
    await mkdir(importDir(), { recursive: true });
    const original = join(importDir(), "My Model.gguf");
    const bytes = await writeGgufFixture(original, { architecture: "qwen2", contextLength: 32768 });
    const events: JobEvent[] = [];
    const record = await inJob(events, () => models.download(original));
    expect(record).toMatchObject({ id: "my-model", source: original, path: join(modelsDir(), "my-model.gguf"), architecture: "qwen2", context_length: 32768, sha256: sha256(bytes) });
    expect(actions(events)).toEqual(expect.arrayContaining(["model_moved", "model_ready"]));
    expect(existsSync(original)).toBe(false);
    expect(sha256(readFileSync(record.path))).toBe(sha256(bytes));
    await models.delete("my-model");
    expect(modelFiles()).toEqual([]);
  });

  it("given a local file that is not GGUF, fails with NOT_GGUF before copying anything, without showing its first bytes", async () => {
    await mkdir(importDir(), { recursive: true });
    const original = join(importDir(), "notes.gguf");
    await writeFile(original, "root:x:0:0:root:/root:/bin/bash");
    const err = await models.download("notes.gguf").catch((e) => e);
    expect(err).toMatchObject({ code: "NOT_GGUF", message: "notes.gguf is not a GGUF file (it does not start with the GGUF magic)" });
    expect(existsSync(original)).toBe(true);
    expect(modelFiles()).toEqual([]);
    expect(models.list()).toEqual([]);
  });

  it("keeps model files, the catalog and the models folder private (0600 / 0700), whatever the umask", async () => {
    const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
    const fromUrl = await models.download(server.url("/files/tiny.Q4_0.gguf"));
    const withDemo = new ModelService({ createDemo: (path) => void writeDemoModel(path) });
    const demo = await withDemo.download("demo:tiny");
    await mkdir(importDir(), { recursive: true });
    await writeGgufFixture(join(importDir(), "copied.gguf"));
    const copied = await models.download("copied.gguf");
    expect([fromUrl.path, demo.path, copied.path].map(mode)).toEqual(["600", "600", "600"]);
    expect(readdirSync(modelsDir()).filter((f) => f.startsWith("catalog.db")).map((f) => mode(join(modelsDir(), f)))).toEqual(expect.arrayContaining(["600"]));
    expect(readdirSync(modelsDir()).filter((f) => f.startsWith("catalog.db")).every((f) => mode(join(modelsDir(), f)) === "600")).toBe(true);
    expect(mode(modelsDir())).toBe("700");
  });

  it("given a path out of the model folders, refuses it without reading or naming anything", async () => {
    for (const bad of ["../../etc/passwd", "/etc/passwd", "~/.ssh/id_ed25519", join(home.home, "config", "api.token")]) {
      const err = await models.download(bad).catch((e) => e);
      expect(err).toMatchObject({ code: "MODEL_PATH_NOT_ALLOWED", status: 403, message: "local model files are read only from this hive's model folders" });
      expect(err.hint).toContain(importDir());
    }
    expect(models.list()).toEqual([]);
  });

  it("given a folder listed in RBEE_MODEL_FOLDERS, copies from it", async () => {
    const shelf = join(home.home, "shelf");
    await mkdir(shelf);
    await writeGgufFixture(join(shelf, "shelf.gguf"));
    const withShelf = new ModelService({ env: { ...process.env, RBEE_MODEL_FOLDERS: shelf } });
    expect(await withShelf.download(join(shelf, "shelf.gguf"))).toMatchObject({ id: "shelf" });
    // The user's own shelf is only read: the original stays where it was.
    expect(existsSync(join(shelf, "shelf.gguf"))).toBe(true);
    await expect(models.download(join(shelf, "shelf.gguf"))).rejects.toMatchObject({ code: "MODEL_PATH_NOT_ALLOWED" });
  });

  it("given demo:tiny, builds it with the injected generator", async () => {
    const withDemo = new ModelService({ createDemo: (path) => writeFile(path, ggufFixture({ name: "demo" })) });
    const record = await withDemo.download("demo:tiny");
    expect(record).toMatchObject({ id: "demo-tiny", source: "demo:tiny", architecture: "llama" });
    // Already present: answered from the catalog, so no generator is needed.
    await expect(models.download("demo:tiny")).resolves.toEqual(record);
  });

  it("given demo:tiny and the real demo writer, catalogs a loadable-looking llama model", async () => {
    const withDemo = new ModelService({ createDemo: (path) => void writeDemoModel(path) });
    const record = await withDemo.download("demo:tiny");
    expect(record).toMatchObject({ id: DEMO_MODEL.id, architecture: "llama", parameters: demoModelParams() });
    expect(record.context_length).toBeGreaterThan(0);
    expect(modelFiles()).toEqual([DEMO_MODEL.file]);
  });

  it("given demo:tiny and no generator, fails with DEMO_UNAVAILABLE", async () => {
    await expect(models.download("demo:tiny")).rejects.toMatchObject({ code: "DEMO_UNAVAILABLE" });
  });
});
