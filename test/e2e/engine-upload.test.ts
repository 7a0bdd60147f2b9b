import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENGINE_VERSION, VULKAN_PACKAGE, vulkanTarball } from "../helpers/engine-tarball.ts";
import { runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

const SLOW = 120_000;

/**
 * `rbee engine install --hive H --from FILE.tgz` for a hive with its own RBEE_HOME: the keeper
 * uploads the tarball (the operation carries no path the hive would open), the hive checks
 * and unpacks it, and the upload is gone afterwards, installed or refused.
 */
describe("compiled rbee: an engine tarball the keeper has, installed on a remote hive", () => {
  const homes = [tempHome(), tempHome()];
  const keeperDir = mkdtempSync(join(tmpdir(), "rbee-keeper-files-"));
  let queen: Daemon;
  let hive: Daemon;
  let env: Record<string, string>;
  const hiveCache = () => join(homes[1].home, "cache", "engine");
  const scope = () => join(hiveCache(), "node_modules", "@node-llama-cpp");
  const leftovers = () => [...(existsSync(scope()) ? readdirSync(scope()) : []), ...(existsSync(join(hiveCache(), "uploads")) ? readdirSync(join(hiveCache(), "uploads")) : [])];

  beforeAll(async () => {
    queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: homes[0].home });
    hive = await startRbeeDaemon(["serve", "--role", "hive", "--port", "0", "--hive-id", "h1", "--queen-url", queen.url], { RBEE_HOME: homes[1].home });
    await queen.waitFor(/hive h1 registered/);
    env = { RBEE_HOME: homes[0].home, RBEE_QUEEN_URL: queen.url };
  }, 60_000);
  afterAll(async () => {
    await Promise.all([hive?.stop(), queen?.stop()]);
    for (const h of homes) h.cleanup();
    rmSync(keeperDir, { recursive: true, force: true });
  });

  it("a truncated tarball is refused and nothing is left half-unpacked or uploaded", async () => {
    // given a tarball cut in half, in a folder only the keeper was told about
    const cut = join(keeperDir, "cut.tgz");
    const whole = readFileSync(vulkanTarball());
    writeFileSync(cut, whole.subarray(0, whole.length >> 1));
    // when it is installed on h1
    const res = await runRbee(["engine", "install", "vulkan", "--hive", "h1", "--from", cut], env, SLOW);
    // then it is refused, and the hive holds no engine folder, temp folder or upload
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/uploading .*cut\.tgz .* to hive h1/);
    expect(res.stderr).toMatch(/ENGINE_ARCHIVE_BAD: .*is not a complete package tarball .*nothing was installed/);
    expect(leftovers()).toEqual([]);
    const engines = JSON.parse((await runRbee(["engine", "list", "--hive", "h1", "--json"], env, SLOW)).stdout.split("\n").find((l) => l.includes('"vulkan"'))!);
    expect(engines).toMatchObject({ hive_id: "h1", installed: false });
  }, SLOW);

  it("a good tarball is uploaded, unpacked on the hive and listed; the upload is gone", async () => {
    const file = join(keeperDir, "vulkan-engine.tgz");
    copyFileSync(vulkanTarball(), file);
    const res = await runRbee(["engine", "install", "vulkan", "--hive", "h1", "--from", file], env, SLOW);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`vulkan engine installed: ${VULKAN_PACKAGE}@${ENGINE_VERSION}`);
    expect(res.stderr).toMatch(/\[hive h1\] unpacking [0-9a-f]{8}-vulkan-engine\.tgz/);
    // the package sits in h1's own engine cache, and nothing else does
    expect(leftovers()).toEqual(["linux-x64-vulkan"]);
    expect(JSON.parse(readFileSync(join(scope(), "linux-x64-vulkan", "package.json"), "utf8"))).toMatchObject({ name: VULKAN_PACKAGE, version: ENGINE_VERSION });
    const listed = await runRbee(["engine", "list", "--hive", "h1", "--json"], env, SLOW);
    expect(listed.code, listed.stderr + listed.stdout).toBe(0);
    const list = listed.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(list.find((e) => e.backend === "vulkan")).toMatchObject({ hive_id: "h1", installed: true, version: ENGINE_VERSION });
    // and the queen's own hive got nothing
    expect(existsSync(join(homes[0].home, "cache", "engine", "node_modules"))).toBe(false);
  }, SLOW);
});
