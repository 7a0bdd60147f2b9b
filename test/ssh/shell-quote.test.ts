import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { homePath, shellCommand, shellQuote } from "../../src/ssh/shell-quote.ts";
import { NASTY } from "../helpers/nasty-values.ts";

describe("shellQuote", () => {
  it.each(NASTY)("given %j, when a POSIX shell reads it, then it comes back literally", (value) => {
    const r = spawnSync("sh", ["-c", `printf %s ${shellQuote(value)}`], { encoding: "utf8" });
    expect(r.stdout).toBe(value);
  });

  it("given several arguments, when joined, then each stays one argument", () => {
    const r = spawnSync("sh", ["-c", `printf '[%s]' ${shellCommand("a b", "c;d", "$(e)")}`], { encoding: "utf8" });
    expect(r.stdout).toBe("[a b][c;d][$(e)]");
  });

  it("given a NUL byte, when quoting, then it is refused", () => {
    expect(() => shellQuote("a\0b")).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });

  it("given a home-relative path, when expanded, then $HOME expands and the rest does not", () => {
    const r = spawnSync("sh", ["-c", `printf %s ${homePath("~/.local/$(x) y")}`], { encoding: "utf8", env: { HOME: "/h" } });
    expect(r.stdout).toBe("/h/.local/$(x) y");
  });
});
