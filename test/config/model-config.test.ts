import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CHAT_TEMPLATES, modelConfigFile, modelSettings, readModelConfig, removeAlias, resolveModelName, setAlias } from "../../src/config/model-config.ts";

describe("models.json: aliases and per-model defaults", () => {
  let home: string;
  let previous: string | undefined;
  beforeEach(() => {
    previous = process.env.RBEE_HOME;
    home = mkdtempSync(join(tmpdir(), "rbee-model-config-"));
    process.env.RBEE_HOME = home;
  });
  afterEach(() => {
    if (previous === undefined) delete process.env.RBEE_HOME;
    else process.env.RBEE_HOME = previous;
    rmSync(home, { recursive: true, force: true });
  });

  it("setAlias writes the file whole (no temp file left) and the next read sees it; removeAlias takes it away", () => {
    expect(readModelConfig()).toEqual({});
    setAlias("tiny", "demo-tiny");
    expect(JSON.parse(readFileSync(modelConfigFile(), "utf8"))).toEqual({ aliases: { tiny: "demo-tiny" } });
    expect(readdirSync(join(home, "config"))).toEqual(["models.json"]);
    expect(resolveModelName("tiny")).toBe("demo-tiny");
    expect(resolveModelName("demo-tiny")).toBe("demo-tiny");
    removeAlias("tiny");
    expect(resolveModelName("tiny")).toBe("tiny");
    expect(() => removeAlias("tiny")).toThrow(expect.objectContaining({ code: "ALIAS_NOT_FOUND" }));
  });

  it("bad aliases are refused and the file stays as it was", () => {
    setAlias("small", "demo-tiny");
    const before = readFileSync(modelConfigFile(), "utf8");
    expect(() => setAlias("a/b", "demo-tiny")).toThrow(expect.objectContaining({ code: "INVALID_ALIAS" }));
    expect(() => setAlias("x", "x")).toThrow(expect.objectContaining({ code: "INVALID_ALIAS", message: expect.stringMatching(/cannot point at itself/) }));
    expect(() => setAlias("smaller", "small")).toThrow(expect.objectContaining({ code: "INVALID_ALIAS", message: expect.stringMatching(/itself an alias/) }));
    expect(readFileSync(modelConfigFile(), "utf8")).toBe(before);
  });

  it("a hand edit is read at once; a broken file is MODEL_CONFIG_INVALID naming the field", () => {
    mkdirSync(join(home, "config"), { recursive: true });
    writeFileSync(modelConfigFile(), JSON.stringify({ aliases: { t: "demo-tiny" }, models: { "demo-tiny": { sampling: { temperature: 0.2 }, chat_template: "CHATML" }, t: { sampling: { top_k: 5 } } } }));
    expect(modelSettings("t")).toEqual({ sampling: { top_k: 5 }, chat_template: "chatML" });
    expect(modelSettings("demo-tiny")).toEqual({ sampling: { temperature: 0.2 }, chat_template: "chatML" });
    writeFileSync(modelConfigFile(), JSON.stringify({ models: { "demo-tiny": { context: 10 } } }));
    expect(() => readModelConfig()).toThrow(expect.objectContaining({ code: "MODEL_CONFIG_INVALID", message: expect.stringMatching(/models\.json: models\.demo-tiny\.context: /) }));
    writeFileSync(modelConfigFile(), "{");
    expect(() => readModelConfig()).toThrow(expect.objectContaining({ code: "MODEL_CONFIG_INVALID", message: expect.stringMatching(/is not valid JSON/) }));
    expect(() => setAlias("tiny", "demo-tiny")).toThrow(expect.objectContaining({ code: "MODEL_CONFIG_INVALID" }));
    expect(readFileSync(modelConfigFile(), "utf8")).toBe("{");
  });

  it("the chat templates are the wrappers node-llama-cpp resolves by name", async () => {
    const { resolvableChatWrapperTypeNames } = await import("node-llama-cpp");
    expect([...CHAT_TEMPLATES].sort()).toEqual(resolvableChatWrapperTypeNames.filter((n) => n !== "template").sort());
  });
});
