import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveSourceArg } from "../../src/keeper/local-source.ts";

describe("a model source as the keeper sends it", () => {
  let folder: string;
  let uploads: [string, string][];
  const upload = async (path: string, name: string) => void uploads.push([path, name]);
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), "rbee-source-"));
    writeFileSync(join(folder, "mine.gguf"), "GGUF");
    uploads = [];
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it("a file here is resolved in the user's folder and uploaded; the job names the uploaded file", async () => {
    expect(await resolveSourceArg("./mine.gguf", upload, folder)).toBe("mine.gguf");
    expect(await resolveSourceArg("mine.gguf", upload, folder)).toBe("mine.gguf");
    expect(uploads).toEqual([[join(folder, "mine.gguf"), "mine.gguf"], [join(folder, "mine.gguf"), "mine.gguf"]]);
  });

  it("a relative path to nothing is refused here, with the path as the user sees it", async () => {
    await expect(resolveSourceArg("./nope.gguf", upload, folder)).rejects.toMatchObject({ code: "MODEL_FILE_MISSING", message: `no file at ${join(folder, "nope.gguf")}` });
    expect(uploads).toEqual([]);
  });

  it("an absolute path or a bare name that is not here may be the hive's own: it goes as typed", async () => {
    expect(await resolveSourceArg("/models/theirs.gguf", upload, folder)).toBe("/models/theirs.gguf");
    expect(await resolveSourceArg("imported.gguf", upload, folder)).toBe("imported.gguf");
    expect(uploads).toEqual([]);
  });

  it("sources with a scheme go as they are", async () => {
    for (const source of ["hf:ORG/REPO", "https://example.org/x.gguf", "demo:tiny"]) expect(await resolveSourceArg(source, upload, folder)).toBe(source);
  });
});
