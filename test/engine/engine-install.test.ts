import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { gpuModulesDir, packageDir } from "../../src/engine/backends.ts";
import { ENGINE_MARKER, installEngine, removeEngine } from "../../src/engine/engine-install.ts";
import { narrated } from "../helpers/narration.ts";
import { ENGINE_VERSION, readTarball, startRegistry, VULKAN_PACKAGE, vulkanTarball } from "../helpers/engine-tarball.ts";

/** What is in the engines' node_modules/@node-llama-cpp (temp folders included). */
const scopeEntries = () => {
  const dir = join(gpuModulesDir(), "@node-llama-cpp");
  return existsSync(dir) ? readdirSync(dir).sort() : [];
};

describe("engine install: registry or file, verified, unpacked atomically", () => {
  let home: string;
  let previous: string | undefined;
  let registry: ReturnType<typeof startRegistry> | undefined;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), "rbee-engine-"));
    previous = process.env.RBEE_HOME;
    process.env.RBEE_HOME = home;
  });
  afterEach(() => {
    registry?.stop();
    registry = undefined;
    if (previous === undefined) delete process.env.RBEE_HOME;
    else process.env.RBEE_HOME = previous;
    rmSync(home, { recursive: true, force: true });
  });

  it("fetches the package from the registry, checks its sha512, narrates progress and unpacks it beside the CPU engine", async () => {
    // given a registry that serves the real Vulkan engine package
    const tarball = readTarball();
    registry = startRegistry({ [VULKAN_PACKAGE]: { version: ENGINE_VERSION, tarball } });
    // when the Vulkan engine is installed from it
    const { result, error, events } = await narrated(() => installEngine({ backend: "vulkan", registry: registry!.url }));
    // then the package is in place, complete, with where it came from
    expect(error).toBeUndefined();
    expect(result).toEqual([expect.objectContaining({ name: VULKAN_PACKAGE, version: ENGINE_VERSION, integrity: expect.stringMatching(/^sha512-/) })]);
    const dir = packageDir(VULKAN_PACKAGE);
    expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))).toMatchObject({ name: VULKAN_PACKAGE, version: ENGINE_VERSION });
    expect(existsSync(join(dir, "bins", "linux-x64-vulkan", "libggml-vulkan.so"))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, ENGINE_MARKER), "utf8")).source).toContain(registry.url);
    expect(scopeEntries()).toEqual(["linux-x64-vulkan"]);
    // and the story had a progress bar that reached the whole size, and the integrity check
    const progress = events.filter((e) => e.progress);
    expect(progress.at(-1)!.progress).toMatchObject({ current: tarball.length, total: tarball.length });
    expect(events.map((e) => e.human).join("\n")).toMatch(/sha512 matches the registry/);
    expect(registry.hits).toEqual([`/${VULKAN_PACKAGE}`, `/tarballs/${VULKAN_PACKAGE}-${ENGINE_VERSION}.tgz`]);
  });

  it("refuses a tarball whose sha512 differs from the registry's, and installs nothing", async () => {
    // given a registry whose tarball was altered by one byte after publishing
    const good = readTarball();
    const bad = good.slice();
    bad[bad.length >> 1] ^= 0xff;
    registry = startRegistry({ [VULKAN_PACKAGE]: { version: ENGINE_VERSION, tarball: bad, integrityOf: good } });
    // when installing
    const { error } = await narrated(() => installEngine({ backend: "vulkan", registry: registry!.url }));
    // then it is refused with the reason, and nothing was unpacked
    expect(error).toMatchObject({ code: "ENGINE_INTEGRITY" });
    expect(error.message).toMatch(/does not match the registry's integrity/);
    expect(scopeEntries()).toEqual([]);
  });

  it("installs from a file, and a truncated or foreign tarball later leaves that install untouched", async () => {
    // given the engine installed from the real tarball file
    await narrated(() => installEngine({ backend: "vulkan", from: [vulkanTarball()] }));
    const dir = packageDir(VULKAN_PACKAGE);
    const before = readFileSync(join(dir, ENGINE_MARKER), "utf8");
    // when a truncated copy is installed over it
    const truncated = join(home, "truncated.tgz");
    writeFileSync(truncated, readTarball().subarray(0, 5_000_000));
    const cut = await narrated(() => installEngine({ backend: "vulkan", from: [truncated] }));
    // then it is refused, no temp folder remains, and the installed engine is the same
    expect(cut.error).toMatchObject({ code: "ENGINE_ARCHIVE_BAD" });
    expect(scopeEntries()).toEqual(["linux-x64-vulkan"]);
    expect(readFileSync(join(dir, ENGINE_MARKER), "utf8")).toBe(before);
    expect(existsSync(join(dir, "bins", "linux-x64-vulkan", "libggml-vulkan.so"))).toBe(true);

    // and a well-formed tarball of another package is refused by name and version
    const stage = join(home, "other");
    Bun.spawnSync(["mkdir", "-p", join(stage, "package")]);
    writeFileSync(join(stage, "package", "package.json"), JSON.stringify({ name: "@node-llama-cpp/linux-x64-vulkan", version: "3.0.0" }));
    const other = join(home, "other.tgz");
    Bun.spawnSync(["tar", "-czf", other, "-C", stage, "package"]);
    const foreign = await narrated(() => installEngine({ backend: "vulkan", from: [other] }));
    expect(foreign.error).toMatchObject({ code: "ENGINE_MISMATCH" });
    expect(foreign.error.message).toContain("3.0.0");
    expect(scopeEntries()).toEqual(["linux-x64-vulkan"]);
  });

  it("a registry that does not answer is a clear error naming the way without internet", async () => {
    const { error } = await narrated(() => installEngine({ backend: "vulkan", registry: "http://127.0.0.1:9/" }));
    expect(error).toMatchObject({ code: "REGISTRY_UNREACHABLE" });
    expect(error.hint).toContain("--from");
    expect(scopeEntries()).toEqual([]);
  });

  it("remove takes the engine away; removing it again says it is not installed", async () => {
    await narrated(() => installEngine({ backend: "vulkan", from: [vulkanTarball()] }));
    const { result } = await narrated(async () => removeEngine("vulkan"));
    expect(result).toEqual([VULKAN_PACKAGE]);
    expect(scopeEntries()).toEqual([]);
    const again = await narrated(async () => removeEngine("vulkan"));
    expect(again.error).toMatchObject({ code: "ENGINE_NOT_INSTALLED" });
  });
});
