import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { binaryName, targetById, type BuildTarget } from "../../src/config/build-targets.ts";

/** The project root and dist/ (`bun run build:all` writes dist/rbee-<target>; `bun run test` runs it first). */
export const ROOT = resolve(import.meta.dirname, "../..");
export const DIST = join(ROOT, "dist");

export const target = (id: BuildTarget["id"]): BuildTarget => targetById(id)!;
export const distBinary = (id: BuildTarget["id"]) => join(DIST, binaryName(target(id)));

/** Where the arm64 libraries live for user-mode emulation (Debian's libc6-arm64-cross). */
export const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";

/**
 * Why arm64 binaries cannot run directly here, or undefined when they can: binfmt_misc must
 * hand aarch64 ELF files to qemu (as on CI: qemu-user-static, binfmt-support, and the
 * handler enabled), and the arm64 C and C++ runtimes must be installed for the engine.
 */
export function qemuMissing(): string | undefined {
  const handler = "/proc/sys/fs/binfmt_misc/qemu-aarch64";
  if (!existsSync(handler)) return `no aarch64 binfmt handler (${handler}): install qemu-user-static and binfmt-support, mount binfmt_misc, update-binfmts --enable qemu-aarch64`;
  if (!readFileSync(handler, "utf8").startsWith("enabled")) return `${handler} is disabled: update-binfmts --enable qemu-aarch64`;
  for (const lib of ["lib/ld-linux-aarch64.so.1", "lib/libstdc++.so.6"]) {
    if (!existsSync(join(ARM64_SYSROOT, lib))) return `${join(ARM64_SYSROOT, lib)} is missing: install libc6-arm64-cross and libstdc++6-arm64-cross`;
  }
  return undefined;
}

export const missingFile = (path: string) => (existsSync(path) ? undefined : `${path} is missing: run \`bun run build:all\``);

/**
 * Skips the running test with the reason, except on CI, where what it needs is installed by
 * .ci/run and its absence is a failure.
 */
export function requireOrSkip(ctx: { skip: (note?: string) => never }, reason: string | undefined): void {
  if (!reason) return;
  if (process.env.CI) throw new Error(reason);
  ctx.skip(reason);
}
