import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RbeeError } from "../../src/protocol/errors.ts";
import { formatModelSource, modelIdFromFileName, parseModelSource, sourceFileName, validateModelId } from "../../src/model/model-source.ts";

function rejection(fn: () => unknown): RbeeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RbeeError);
    return err as RbeeError;
  }
  throw new Error("expected an error");
}

describe("parseModelSource", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "rbee-src-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("accepts every documented form", async () => {
    await writeFile(join(dir, "My-Model.Q4_0.gguf"), "x");
    expect(parseModelSource("hf:TheBloke/TinyLlama-1.1B-GGUF")).toEqual({ kind: "hf", repo: "TheBloke/TinyLlama-1.1B-GGUF" });
    expect(parseModelSource("hf:org/repo:sub/model.Q4_K_M.gguf")).toEqual({ kind: "hf", repo: "org/repo", file: "sub/model.Q4_K_M.gguf" });
    // A quant tag, as Ollama's hf.co/ORG/REPO:Q5_K_M: any case, kept upper-case.
    expect(parseModelSource("hf:org/repo:q5_k_m")).toEqual({ kind: "hf", repo: "org/repo", quant: "Q5_K_M" });
    expect(parseModelSource("hf:org/repo:IQ4_XS")).toEqual({ kind: "hf", repo: "org/repo", quant: "IQ4_XS" });
    expect(formatModelSource(parseModelSource("hf:org/repo:f16"))).toBe("hf:org/repo:F16");
    expect(parseModelSource("https://example.com/m/x.gguf?sig=1")).toEqual({ kind: "url", url: "https://example.com/m/x.gguf?sig=1", file: "x.gguf" });
    expect(parseModelSource("http://127.0.0.1:9/x.gguf")).toMatchObject({ kind: "url", file: "x.gguf" });
    expect(parseModelSource("http://localhost/x.gguf")).toMatchObject({ kind: "url" });
    expect(parseModelSource("demo:tiny")).toEqual({ kind: "demo", name: "tiny" });
    expect(parseModelSource("demo:demo-b:7")).toEqual({ kind: "demo", name: "demo-b", seed: 7 });
    expect(parseModelSource(join(dir, "My-Model.Q4_0.gguf"), [dir])).toEqual({ kind: "local", path: join(dir, "My-Model.Q4_0.gguf") });
    expect(parseModelSource("./My-Model.Q4_0.gguf", [dir])).toEqual({ kind: "local", path: join(dir, "My-Model.Q4_0.gguf") });
    expect(parseModelSource("My-Model.Q4_0.gguf", [dir])).toEqual({ kind: "local", path: join(dir, "My-Model.Q4_0.gguf") });
  });

  it.each([
    ["", "empty"],
    ["hf:org/repo\n", "control"],
    ["hf:org/re\u0000po", "control"],
    ["hf:org/\u202erepo", "control"],
    ["hf:org", "repo name"],
    ["hf:org/repo/extra", "repo name"],
    ["hf:../repo", "repo name"],
    ["hf:org/re..po", "repo name"],
    ["hf:org/rep o", "repo name"],
    ["hf:org/repo:../../etc/passwd.gguf", "safe file name"],
    ["hf:org/repo:model.bin", "not a .gguf"],
    ["hf:org/repo:Q4-K-M", "not a .gguf"],
    ["hf:org/repo:a.gguf:b", "more than one"],
    ["http://example.com/x.gguf", "plain http"],
    ["https://user:pw@example.com/x.gguf", "user name"],
    ["https://example.com/x.bin", ".gguf file"],
    ["ftp://example.com/x.gguf", "unsupported"],
    ["demo:huge", "demo"],
    ["demo:Big-Model:7", "demo model's name"],
    ["demo:b:-1", "seed"],
    ["demo:b:99999999999", "seed"],
    ["demo:b:7:8", "demo"],
  ])("rejects %j with INVALID_MODEL_SOURCE and the accepted forms", (input, words) => {
    const err = rejection(() => parseModelSource(input, [dir]));
    expect(err.code).toBe("INVALID_MODEL_SOURCE");
    expect(err.message).toContain(words);
    expect(err.hint).toContain("hf:ORG/REPO");
  });

  it("rejects a missing local file and a folder", async () => {
    expect(rejection(() => parseModelSource(join(dir, "nope.gguf"), [dir])).code).toBe("MODEL_FILE_MISSING");
    await mkdir(join(dir, "folder.gguf"));
    expect(rejection(() => parseModelSource(join(dir, "folder.gguf"), [dir])).message).toContain("not a regular file");
  });

  it("reads local files only inside the allowed folders, links included, and says the same whether or not a file exists outside", async () => {
    const inside = join(dir, "models");
    await mkdir(inside);
    await writeFile(join(dir, "secret.gguf"), "GGUF");
    await symlink(join(dir, "secret.gguf"), join(inside, "link.gguf"));
    for (const input of ["../secret.gguf", "../nope.gguf", join(dir, "secret.gguf"), "/etc/passwd", "../../../../etc/passwd", "./link.gguf", "link.gguf"]) {
      const err = rejection(() => parseModelSource(input, [inside]));
      expect(err).toMatchObject({ code: "MODEL_PATH_NOT_ALLOWED", status: 403, message: "local model files are read only from this hive's model folders" });
      expect(err.hint).toContain(inside);
    }
  });

  it.each(["<script>alert(1)</script>", "x'; DROP TABLE models; --", "hf:<b>org</b>/repo", "https://example.com/%3Cscript%3E.bin", "javascript:alert(1)", "demo:<img src=x>", "hf:org/repo:<svg>.gguf"])(
    "never echoes the source %j in its error",
    (input) => {
      const err = rejection(() => parseModelSource(input, [dir]));
      expect(err.message + (err.hint ?? "")).not.toMatch(/<|>|DROP|script|alert/i);
    },
  );

  it("formats sources canonically", () => {
    expect(formatModelSource(parseModelSource("hf:a/b:c.gguf"))).toBe("hf:a/b:c.gguf");
    expect(formatModelSource(parseModelSource(" demo:tiny "))).toBe("demo:tiny");
    expect(formatModelSource(parseModelSource("demo:demo-b:7"))).toBe("demo:demo-b:7");
    expect(sourceFileName(parseModelSource("demo:demo-b:7"))).toBe("demo-b.gguf");
  });
});

describe("model ids", () => {
  it("derives stable filename-safe ids from file names", () => {
    expect(modelIdFromFileName("TinyLlama-1.1B-Chat-v1.0.Q4_K_M.gguf")).toBe("tinyllama-1.1b-chat-v1.0.q4_k_m");
    expect(modelIdFromFileName("sub/My Model (v2).GGUF")).toBe("my-model-v2");
    // A sharded model is one model: the shard suffix is not part of its id.
    expect(modelIdFromFileName("Qwen2.5-7B-Instruct-Q5_K_M-00001-of-00002.gguf")).toBe("qwen2.5-7b-instruct-q5_k_m");
    expect(modelIdFromFileName("..weird...name.gguf")).toBe("weird.name");
  });

  it("validates ids", () => {
    expect(validateModelId("demo-tiny")).toBe("demo-tiny");
    for (const bad of ["", "../x", "a/b", "A", "x..y", "-x", "a".repeat(129)]) {
      expect(rejection(() => validateModelId(bad)).code).toBe("INVALID_MODEL_ID");
    }
  });
});
