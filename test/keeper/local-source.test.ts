import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveSourceArg } from "../../src/keeper/local-source.ts";

describe("a model source as the keeper sends it", () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), "rbee-source-"));
    writeFileSync(join(folder, "mine.gguf"), "GGUF");
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it("given a local queen, a relative path is resolved in the user's folder", () => {
    expect(resolveSourceArg("./mine.gguf", true, folder)).toBe(join(folder, "mine.gguf"));
    expect(resolveSourceArg("mine.gguf", true, folder)).toBe(join(folder, "mine.gguf"));
    expect(() => resolveSourceArg("./nope.gguf", true, folder)).toThrow(expect.objectContaining({ code: "MODEL_FILE_MISSING", message: `no file at ${join(folder, "nope.gguf")}` }));
  });

  it("given a queen on another machine, a file that is only here is refused with what to do instead", () => {
    expect(() => resolveSourceArg("./mine.gguf", false, folder)).toThrow(expect.objectContaining({ code: "MODEL_FILE_NOT_ON_QUEEN", hint: expect.stringContaining("https://") }));
    // a path that is not here may be the queen's own: it goes as typed
    expect(resolveSourceArg("/models/theirs.gguf", false, folder)).toBe("/models/theirs.gguf");
  });

  it("sources with a scheme go as they are", () => {
    for (const source of ["hf:ORG/REPO", "https://example.org/x.gguf", "demo:tiny"]) expect(resolveSourceArg(source, true, folder)).toBe(source);
  });
});
