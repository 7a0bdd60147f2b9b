import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";
import { ENGINE_VERSION, vulkanTarball } from "../helpers/engine-tarball.ts";

/**
 * The compiled binary on Mesa's software Vulkan device (llvmpipe, from mesa-vulkan-drivers):
 * the Vulkan engine installed from node-llama-cpp's real package, a worker with every layer
 * on vulkan:0, tokens streamed through the queen. llvmpipe compiles its shaders on first use:
 * slow on two loaded cores, hence the generous limits.
 */
describe("compiled rbee: GPU engines, devices and workers (Vulkan on llvmpipe)", () => {
  let home: ReturnType<typeof tempHome>;
  let queen: Daemon;
  const SLOW = 300_000;
  const rbee = (args: string[], timeoutMs = 60_000) => runRbee([...args, "--queen-url", queen.url], { RBEE_HOME: home.home, RBEE_NO_AUTOSTART: "1" }, timeoutMs);
  const json = (stdout: string) => stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));

  beforeAll(async () => {
    home = tempHome("rbee-gpu-");
    queen = await startRbeeDaemon(["serve", "--port", "0"], { RBEE_HOME: home.home });
    expect((await rbee(["model", "create-demo"])).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await queen?.stop();
    home?.cleanup();
  });

  it("without GPU engines, vulkan:0, cuda:0 and cpu:7 are refused before any process starts", async () => {
    const noEngine = await rbee(["worker", "spawn", "--model", "demo-tiny", "--device", "vulkan:0", "--json"]);
    expect(noEngine.code).toBe(1);
    const failed = json(noEngine.stdout).find((e) => e.action === "job_failed");
    expect(failed.fields.code).toBe("ENGINE_MISSING");
    expect(failed.human).toContain("the vulkan engine is not installed on hive localhost (install it with `rbee engine install vulkan --hive localhost`); valid devices: cpu:0 (");
    const noDevice = await rbee(["worker", "spawn", "--model", "demo-tiny", "--device", "cpu:7"]);
    expect(noDevice.code).toBe(1);
    expect(noDevice.stderr).toMatch(/hive localhost has no device cpu:7; valid devices: cpu:0 \(/);
    expect(noDevice.stderr).not.toContain("spawned worker");
    const cuda = await rbee(["worker", "spawn", "--model", "demo-tiny", "--device", "cuda:0"]);
    expect(cuda.code).toBe(1);
    expect(cuda.stderr).toContain("cuda:0: the cuda engine is not installed on hive localhost");
    expect((await rbee(["worker", "spawn", "--model", "demo-tiny", "--device", "vulkan:0", "--gpu-layers", "most"])).code).toBe(2);
    expect((await rbee(["worker", "list", "--json"])).stdout.trim()).toBe("");
    // and the engine's own probe names what is missing
    const probe = await runRbee(["engine", "probe", "vulkan"], { RBEE_HOME: home.home });
    expect(probe.code).toBe(1);
    expect(JSON.parse(probe.stdout)).toMatchObject({ backend: "vulkan", loads: false, error: { code: "ENGINE_MISSING" } });
  }, SLOW);

  it("installs the Vulkan engine, lists llvmpipe as a software vulkan:0, runs every layer there and streams tokens; auto stays on the CPU", async () => {
    // when the Vulkan engine is installed from node-llama-cpp's package tarball
    const install = await rbee(["engine", "install", "vulkan", "--from", vulkanTarball()], SLOW);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain(`vulkan engine installed: @node-llama-cpp/linux-x64-vulkan@${ENGINE_VERSION}`);
    // then it is listed and loads
    const engines = json((await rbee(["engine", "list", "--json"], SLOW)).stdout);
    expect(engines.find((e) => e.backend === "vulkan")).toMatchObject({ hive_id: "localhost", installed: true, version: ENGINE_VERSION, loads: true });
    expect(engines.find((e) => e.backend === "cpu")).toMatchObject({ installed: true, loads: true });
    // and llvmpipe is a device, marked software
    const devices = json((await rbee(["devices", "--json"], SLOW)).stdout);
    expect(devices.find((d) => d.id === "vulkan:0")).toMatchObject({ hive_id: "localhost", backend: "vulkan", name: expect.stringMatching(/llvmpipe/), software: true, engine: "installed" });
    expect(devices.find((d) => d.id === "cpu:0")).toMatchObject({ software: false, cores: expect.any(Number) });

    // when a worker is spawned on vulkan:0, named explicitly
    const spawn = await rbee(["worker", "spawn", "--model", "demo-tiny", "--device", "vulkan:0"], SLOW);
    expect(spawn.code, spawn.stderr).toBe(0);
    expect(spawn.stderr).toMatch(/\d+\/\d+ layers offloaded/);
    const workerId = spawn.stdout.match(/(wrk-[0-9a-f]+) ready/)![1];
    // then it reports the Vulkan backend with its layers on the device
    const worker = JSON.parse((await rbee(["worker", "get", workerId, "--json"])).stdout);
    expect(worker).toMatchObject({ device: "vulkan:0", backend: "vulkan", device_name: expect.stringMatching(/llvmpipe/), state: "ready" });
    expect(worker.layers_offloaded).toBeGreaterThan(0);
    expect(worker.layers_offloaded).toBe(worker.layers_total);
    expect(worker.device_memory_bytes).toBeGreaterThan(0);
    // and an inference through the queen streams tokens from it
    const infer = await rbee(["infer", "--model", "demo-tiny", "-n", "8", "--seed", "1", "Once upon a time"], SLOW);
    expect(infer.code, infer.stderr).toBe(0);
    expect(infer.stdout.length).toBeGreaterThan(0);
    expect(infer.stderr).toContain(workerId);
    expect(infer.stderr).toMatch(/8 tokens/);

    // when a worker is spawned without --device, auto skips the software device: the CPU
    const auto = await rbee(["worker", "spawn", "--model", "demo-tiny"], SLOW);
    expect(auto.code, auto.stderr).toBe(0);
    expect(auto.stderr).toContain("vulkan:0 skipped (software)");
    expect(auto.stdout).toMatch(/ready: demo-tiny on cpu:0/);
    // and a Vulkan device that does not exist is refused, listing the valid ones
    const missing = await rbee(["worker", "spawn", "--model", "demo-tiny", "--device", "vulkan:3"], SLOW);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/has no device vulkan:3; valid devices: cpu:0 \([^)]*\), vulkan:0 \(llvmpipe.*, software\)/);
  }, 900_000);
});
