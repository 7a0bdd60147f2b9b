import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { executablePlatform, type BuildTarget } from "../../src/config/build-targets.ts";
import { RBEE_BIN } from "../helpers/rbee-binary.ts";
import { ARM64_SYSROOT, DIST, distBinary, missingFile, qemuMissing, requireOrSkip, target } from "../helpers/platform-binaries.ts";

/** The files of an engine archive, and the archive itself, as build.ts left it in dist/engine/<target>. */
function engineArchive(id: BuildTarget["id"]): { bytes: Buffer; files: string[] } {
  const path = join(DIST, "engine", id, "engine.tar.gz");
  const list = spawnSync("tar", ["-tzf", path], { encoding: "utf8", maxBuffer: 64 << 20 });
  return { bytes: readFileSync(path), files: list.stdout.split("\n") };
}

const version = (archive: string, pkg: string): string => {
  const out = spawnSync("tar", ["-xzOf", archive, `node_modules/${pkg}/package.json`], { encoding: "utf8" });
  return JSON.parse(out.stdout).version;
};

describe("bun run build:all: one binary per machine kind, each with its own engine", () => {
  it.for([
    ["darwin-arm64", { os: "Darwin", arch: "arm64" }, "mac-arm64-metal/bins/mac-arm64-metal/libggml-metal.so"],
    ["linux-arm64", { os: "Linux", arch: "arm64" }, "linux-arm64/bins/linux-arm64/llama-addon.node"],
    ["linux-x64", { os: "Linux", arch: "x64" }, "linux-x64/bins/linux-x64/llama-addon.node"],
  ] as const)("dist/rbee-%s is an executable for %j that carries its engine", ([id, platform, engineFile], ctx) => {
    const bin = distBinary(id);
    requireOrSkip(ctx, missingFile(bin));
    const binary = readFileSync(bin);
    expect(executablePlatform(binary.subarray(0, 64))).toEqual(platform);
    const engine = engineArchive(id);
    // The archive is inside the binary byte for byte, and holds that platform's prebuilt engine
    // at the binding's own version.
    expect(binary.indexOf(engine.bytes)).toBeGreaterThan(0);
    expect(engine.files).toContain(`node_modules/@node-llama-cpp/${engineFile}`);
    // …and no other prebuilt engine (no Metal on Linux, no CUDA anywhere).
    const prebuilt = engine.files.filter((f) => /^node_modules\/@node-llama-cpp\/[^/]+\/package\.json$/.test(f));
    expect(prebuilt).toEqual([`node_modules/${target(id).enginePackage}/package.json`]);
    const archive = join(DIST, "engine", id, "engine.tar.gz");
    expect(version(archive, target(id).enginePackage)).toBe(version(archive, "node-llama-cpp"));
  });

  it("under qemu, dist/rbee-linux-arm64 --version prints the host binary's version", (ctx) => {
    requireOrSkip(ctx, missingFile(distBinary("linux-arm64")) ?? qemuMissing());
    const host = spawnSync(RBEE_BIN, ["--version"], { encoding: "utf8" });
    // Run directly, as on a Pi: binfmt_misc hands it to qemu-aarch64.
    const arm = spawnSync(distBinary("linux-arm64"), ["--version"], { encoding: "utf8", env: { ...process.env, QEMU_LD_PREFIX: ARM64_SYSROOT }, timeout: 120_000 });
    expect(arm.status).toBe(0);
    expect(arm.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(arm.stdout).toBe(host.stdout);
  });
});
