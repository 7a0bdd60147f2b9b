import { readlinkSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { DaemonClient } from "../../src/keeper/daemon-client.ts";
import { ARM64_SYSROOT, distBinary, missingFile, qemuMissing, requireOrSkip } from "../helpers/platform-binaries.ts";
import { runRbee, startRbeeDaemon, tempHome, type Daemon } from "../helpers/rbee-binary.ts";

/**
 * A Raspberry Pi beside a GPU tower, on one machine: the arm64 build runs as a hive under
 * user-mode emulation (binfmt_misc hands every aarch64 ELF to qemu, so the workers it spawns
 * from its own binary are arm64 too) and serves an x64 queen. Emulation is slow: the limits
 * are generous, the assertions exact.
 */
describe("compiled rbee: an arm64 hive under qemu serves an x64 queen", () => {
  const homes = [tempHome(), tempHome()];
  const daemons: Daemon[] = [];
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stop()));
    for (const h of homes) h.cleanup();
  });

  it("registers, takes the demo model, and streams tokens to rbee infer --hive", { timeout: 600_000 }, async (ctx) => {
    const arm64 = distBinary("linux-arm64");
    requireOrSkip(ctx, missingFile(arm64) ?? qemuMissing());
    const queen = await startRbeeDaemon(["serve", "--port", "0", "--no-local-hive"], { RBEE_HOME: homes[0].home });
    daemons.push(queen);
    const hive = await startRbeeDaemon(
      ["serve", "--role", "hive", "--port", "0", "--hive-id", "pi", "--queen-url", queen.url],
      // A worker's first load under emulation (its engine checked in a child process first) can
      // pass the default 2 minutes on a busy 2-core machine.
      { RBEE_HOME: homes[1].home, QEMU_LD_PREFIX: ARM64_SYSROOT, RBEE_WORKER_LOAD_TIMEOUT_MS: "600000" },
      300_000,
      arm64,
    );
    daemons.push(hive);
    await queen.waitFor(/hive pi registered/, 120_000);
    // The hive process is the arm64 build, run by the emulator.
    expect(readlinkSync(`/proc/${hive.proc.pid}/exe`)).toMatch(/qemu/);

    // Code runs translated, and slowly, the first time: one job straight to the hive first, so
    // the queen's forward (which wants an answer within 5 s) meets a warm job route.
    const warm = await new DaemonClient(hive.url).submitAndStream({ operation: "model_list", hive_id: "pi" }, { onEvent: () => {} });
    expect(warm.state).toBe("completed");

    const env = { RBEE_HOME: homes[0].home, RBEE_QUEEN_URL: queen.url };
    const model = await runRbee(["model", "create-demo", "--hive", "pi"], env, 300_000);
    expect(model.code, model.stderr).toBe(0);
    const res = await runRbee(["infer", "--model", "demo-tiny", "--hive", "pi", "-n", "12", "--seed", "7", "Hello"], env, 600_000);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.length).toBeGreaterThan(3);
    expect(res.stderr).toMatch(/\[hive pi\] 12 tokens/);

    // The worker that produced them is an arm64 process too.
    const workers = (await runRbee(["worker", "list", "--hive", "pi", "--json"], env)).stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(workers).toHaveLength(1);
    expect(readlinkSync(`/proc/${workers[0].pid}/exe`)).toMatch(/qemu/);
  });
});
