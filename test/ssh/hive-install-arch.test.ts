import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sha256File } from "../../src/ssh/hive-install.ts";
import { installHive } from "../../src/ssh/remote-hive.ts";
import { narrated } from "../helpers/narration.ts";
import { ARM64_SYSROOT, distBinary, missingFile, qemuMissing, requireOrSkip } from "../helpers/platform-binaries.ts";
import { RBEE_BIN } from "../helpers/rbee-binary.ts";
import { sshdAvailable, startSshd, type SshdOptions, type TestSshd } from "../helpers/sshd.ts";

/**
 * `rbee hive install` with no --binary, run from source: the machine's `uname -sm` picks the
 * build from dist/. Another machine kind is played by a stand-in `uname` on the account's PATH;
 * the arm64 build then really runs there (`rbee --version`), through qemu as on a Pi.
 */
describe.skipIf(!sshdAvailable())("hive install picks the build for the machine (needs root and sshd)", () => {
  let sshd: TestSshd | undefined;
  afterEach(async () => {
    await sshd?.stop();
    sshd = undefined;
  });
  const install = async (opts: SshdOptions) => {
    sshd = await startSshd({ trustHostKey: true, ...opts });
    return narrated(() => installHive(sshd!.alias, { env: sshd!.env }));
  };

  it("given Linux x86_64, then this machine's dist/rbee is installed", async (ctx) => {
    requireOrSkip(ctx, missingFile(RBEE_BIN));
    const { result, error, events } = await install({});
    expect(error).toBeUndefined();
    expect(result!.sha256).toBe(await sha256File(RBEE_BIN));
    expect(events.some((e) => e.action === "hive_install_binary_choice" && e.human.endsWith(`installing ${RBEE_BIN} (linux-x64)`))).toBe(true);
  });

  it("given Linux aarch64, then dist/rbee-linux-arm64 is installed and runs there", { timeout: 300_000 }, async (ctx) => {
    requireOrSkip(ctx, missingFile(distBinary("linux-arm64")) ?? qemuMissing());
    const { result, error } = await install({ uname: "Linux aarch64", environment: { QEMU_LD_PREFIX: ARM64_SYSROOT } });
    expect(error).toBeUndefined();
    expect(result!.sha256).toBe(await sha256File(distBinary("linux-arm64")));
    // The version came from the installed arm64 binary itself, run on the "Pi".
    expect(result!.version).toBe(Bun.spawnSync([RBEE_BIN, "--version"]).stdout.toString().trim());
  });

  it("given an Intel Mac, then the install is refused before anything is uploaded", async () => {
    const { error } = await install({ uname: "Darwin x86_64" });
    expect(error).toMatchObject({ code: "UNSUPPORTED_PLATFORM", message: `${sshd!.alias} is an Intel Mac (Darwin x86_64): rbee's macOS build is for Apple silicon (arm64) only` });
    expect(existsSync(join(sshd!.remoteHome, ".local"))).toBe(false);
  });
});
