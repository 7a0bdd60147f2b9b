import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readGgufHeader } from "../../src/model/gguf-header.ts";
import { ggufFixture, writeGgufFixture } from "./fixtures.ts";

describe("readGgufHeader", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "rbee-gguf-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("given a GGUF file, reads architecture, parameters, context and quantization", async () => {
    const path = join(dir, "m.gguf");
    const bytes = await writeGgufFixture(path, {
      architecture: "llama",
      contextLength: 4096,
      fileType: 2,
      tensors: [
        { name: "a", shape: [64, 8] },
        { name: "b", shape: [100] },
      ],
    });
    expect(await readGgufHeader(path)).toEqual({ architecture: "llama", parameters: 612, context_length: 4096, quantization: "Q4_0", size_bytes: bytes.length });
  });

  it("given a header without tensors, counts zero parameters", async () => {
    const path = join(dir, "m.gguf");
    await writeGgufFixture(path, { fileType: 15 });
    expect(await readGgufHeader(path)).toMatchObject({ parameters: 0, quantization: "Q4_K_M", context_length: 2048 });
  });

  it("given a non-GGUF file, fails with NOT_GGUF and says why", async () => {
    const path = join(dir, "page.gguf");
    await writeFile(path, "<!DOCTYPE html><html>not a model</html>");
    await expect(readGgufHeader(path)).rejects.toMatchObject({ code: "NOT_GGUF", message: expect.stringContaining("magic") });
  });

  it("given an empty or truncated GGUF file, fails with NOT_GGUF", async () => {
    await writeFile(join(dir, "empty.gguf"), "");
    await expect(readGgufHeader(join(dir, "empty.gguf"))).rejects.toMatchObject({ code: "NOT_GGUF" });
    await writeFile(join(dir, "cut.gguf"), ggufFixture().slice(0, 40));
    await expect(readGgufHeader(join(dir, "cut.gguf"))).rejects.toMatchObject({ code: "NOT_GGUF" });
  });

  it("given a GGUF without an architecture, fails with NOT_GGUF", async () => {
    const path = join(dir, "noarch.gguf");
    await writeGgufFixture(path, { architecture: null });
    await expect(readGgufHeader(path)).rejects.toMatchObject({ code: "NOT_GGUF", message: expect.stringContaining("general.architecture") });
  });

  it("given tensors larger than the file, fails with NOT_GGUF", async () => {
    const path = join(dir, "liar.gguf");
    const full = ggufFixture({ tensors: [{ name: "w", shape: [1024, 1024] }] });
    await writeFile(path, full.slice(0, 4096));
    await expect(readGgufHeader(path)).rejects.toMatchObject({ code: "NOT_GGUF" });
  });

  it("given no file, fails with MODEL_FILE_MISSING", async () => {
    await expect(readGgufHeader(join(dir, "nope.gguf"))).rejects.toMatchObject({ code: "MODEL_FILE_MISSING" });
  });
});
