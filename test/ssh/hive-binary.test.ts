import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { executablePlatform, hostTarget, targetById, targetForUname } from "../../src/config/build-targets.ts";
import { chooseHiveBinary } from "../../src/ssh/hive-binary.ts";

/** The first bytes of an executable for a machine: ELF with e_machine, or 64-bit Mach-O with cputype. */
function header(kind: "elf-x64" | "elf-arm64" | "macho-arm64" | "macho-x64"): Buffer {
  const b = Buffer.alloc(64);
  if (kind.startsWith("elf")) {
    b.writeUInt32BE(0x7f454c46, 0);
    b[4] = 2; // 64-bit
    b[5] = 1; // little-endian
    b.writeUInt16LE(kind === "elf-x64" ? 62 : 183, 18);
  } else {
    b.writeUInt32LE(0xfeedfacf, 0);
    b.writeUInt32LE(kind === "macho-arm64" ? 0x0100000c : 0x01000007, 4);
  }
  return b;
}

describe("which rbee build a machine gets, from its uname -sm", () => {
  it.each([
    ["Linux x86_64", "linux-x64"],
    ["Linux aarch64", "linux-arm64"],
    ["Linux arm64", "linux-arm64"],
    ["Darwin arm64", "darwin-arm64"],
  ])("given %j, then the %s build", (uname, id) => {
    expect(targetForUname(uname, "box").id).toBe(id);
  });

  it("given an Intel Mac, then it is refused as such, naming what would run", () => {
    expect(() => targetForUname("Darwin x86_64", "mini")).toThrow(
      expect.objectContaining({ code: "UNSUPPORTED_PLATFORM", message: expect.stringMatching(/^mini is an Intel Mac \(Darwin x86_64\): rbee's macOS build is for Apple silicon \(arm64\) only$/) }),
    );
  });

  it.each(["Linux armv7l", "FreeBSD amd64", ""])("given %j, then it is refused with the machines rbee is built for", (uname) => {
    expect(() => targetForUname(uname, "box")).toThrow(expect.objectContaining({ code: "UNSUPPORTED_PLATFORM", message: expect.stringContaining("Linux x86_64, Linux aarch64, Darwin arm64") }));
  });

  it.each([
    ["elf-x64", { os: "Linux", arch: "x64" }],
    ["elf-arm64", { os: "Linux", arch: "arm64" }],
    ["macho-arm64", { os: "Darwin", arch: "arm64" }],
  ] as const)("reads a %s header as %j", (kind, platform) => {
    expect(executablePlatform(header(kind))).toEqual(platform);
    expect(executablePlatform(Buffer.from("#!/bin/sh\necho rbee\n"))).toBeUndefined();
  });
});

describe("choosing the binary to upload", () => {
  let dir: string;
  let dist: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "rbee-choose-"));
    dist = mkdtempSync(join(tmpdir(), "rbee-dist-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(dist, { recursive: true, force: true });
  });
  const linuxX64 = targetById("linux-x64")!;
  const darwin = targetById("darwin-arm64")!;
  const self = () => join(dir, "rbee");

  it("given a Mac and rbee-darwin-arm64 beside this binary, then that file is uploaded", () => {
    writeFileSync(join(dir, "rbee-darwin-arm64"), header("macho-arm64"));
    expect(chooseHiveBinary(darwin, "Darwin arm64", undefined, { self: self(), dirs: [dir], host: linuxX64 })).toBe(join(dir, "rbee-darwin-arm64"));
  });

  it("given a Mac and the build only in dist/ (running from source), then dist's is uploaded", () => {
    writeFileSync(join(dist, "rbee-darwin-arm64"), header("macho-arm64"));
    expect(chooseHiveBinary(darwin, "Darwin arm64", undefined, { dirs: [dir, dist], host: linuxX64 })).toBe(join(dist, "rbee-darwin-arm64"));
  });

  it("given a Mac and no macOS build anywhere, then the install is refused with what to do", () => {
    // A file of that name that is not a macOS executable does not count.
    writeFileSync(join(dir, "rbee-darwin-arm64"), header("elf-x64"));
    expect(() => chooseHiveBinary(darwin, "Darwin arm64", undefined, { self: self(), dirs: [dir], host: linuxX64 })).toThrow(
      expect.objectContaining({ code: "NO_BUILD_FOR_PLATFORM", message: "no rbee build for Darwin arm64: run `bun run build:all` or pass --binary" }),
    );
  });

  it("given a machine like this one, then this very binary is uploaded", () => {
    expect(chooseHiveBinary(linuxX64, "Linux x86_64", undefined, { self: self(), dirs: [dir], host: linuxX64 })).toBe(self());
  });

  it("given --binary built for another machine, then it is refused naming both", () => {
    writeFileSync(join(dir, "x"), header("elf-x64"));
    expect(() => chooseHiveBinary(darwin, "Darwin arm64", join(dir, "x"), { dirs: [], host: hostTarget() })).toThrow(
      expect.objectContaining({ code: "BINARY_PLATFORM_MISMATCH", message: `${join(dir, "x")} is built for Linux x64, but the machine runs Darwin arm64` }),
    );
  });

  it("given --binary for that machine, or a file that is no executable at all, then it is used as given", () => {
    writeFileSync(join(dir, "m"), header("macho-arm64"));
    writeFileSync(join(dir, "script"), "#!/bin/sh\n");
    expect(chooseHiveBinary(darwin, "Darwin arm64", join(dir, "m"), { dirs: [] })).toBe(join(dir, "m"));
    expect(chooseHiveBinary(darwin, "Darwin arm64", join(dir, "script"), { dirs: [] })).toBe(join(dir, "script"));
    expect(() => chooseHiveBinary(darwin, "Darwin arm64", join(dir, "nope"), { dirs: [] })).toThrow(expect.objectContaining({ code: "BINARY_NOT_FOUND" }));
  });
});
