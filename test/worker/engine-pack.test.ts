import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BUILD_TARGETS } from "../../src/config/build-targets.ts";
import { assertEngineMatches, engineVersions } from "../../src/worker/engine-pack.ts";
import { missingFile, requireOrSkip, ROOT } from "../helpers/platform-binaries.ts";

describe("each build target's engine: binding and prebuilt package of one release", () => {
  it.for(BUILD_TARGETS.map((t) => [t.id, t] as const))("given the %s engine as installed, then node-llama-cpp and its prebuilt package match", ([, t], ctx) => {
    const root = join(ROOT, t.engineRoot);
    requireOrSkip(ctx, missingFile(join(root, "node_modules", t.enginePackage, "package.json")));
    const v = engineVersions(root, t.enginePackage);
    expect(v.prebuilt).toBe(v.binding);
    expect(v.prebuiltRelease).toBe(v.bindingRelease);
  });

  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  function fakeRoot(binding: [string, string], prebuilt: [string, string]): string {
    dir = mkdtempSync(join(tmpdir(), "rbee-engine-pair-"));
    const b = join(dir, "node_modules", "node-llama-cpp");
    mkdirSync(join(b, "llama"), { recursive: true });
    writeFileSync(join(b, "package.json"), JSON.stringify({ name: "node-llama-cpp", version: binding[0] }));
    writeFileSync(join(b, "llama", "binariesGithubRelease.json"), JSON.stringify({ release: binding[1] }));
    const bins = join(dir, "node_modules", "@node-llama-cpp", "mac-arm64-metal", "bins", "mac-arm64-metal");
    mkdirSync(bins, { recursive: true });
    writeFileSync(join(bins, "..", "..", "package.json"), JSON.stringify({ name: "@node-llama-cpp/mac-arm64-metal", version: prebuilt[0] }));
    writeFileSync(join(bins, "_nlcBuildMetadata.json"), JSON.stringify({ buildOptions: { llamaCpp: { release: prebuilt[1] } } }));
    return dir;
  }

  it("given the 3.22.1 binding beside the 3.21.1 Metal package, when packing, then the build is refused naming both", () => {
    const root = fakeRoot(["3.22.1", "v0.5.0"], ["3.21.1", "v0.4.0"]);
    expect(() => assertEngineMatches(root, "@node-llama-cpp/mac-arm64-metal")).toThrow(
      /node-llama-cpp@3\.22\.1 \(llama\.cpp v0\.5\.0\) does not match @node-llama-cpp\/mac-arm64-metal@3\.21\.1 \(llama\.cpp v0\.4\.0\)/,
    );
  });

  it("given a pair of one release, when packing, then it is accepted", () => {
    const root = fakeRoot(["3.21.1", "v0.4.0"], ["3.21.1", "v0.4.0"]);
    expect(() => assertEngineMatches(root, "@node-llama-cpp/mac-arm64-metal")).not.toThrow();
  });
});
