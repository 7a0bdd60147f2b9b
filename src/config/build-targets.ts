import { RbeeError } from "../protocol/errors.ts";

/**
 * The machines rbee is built for. Each build carries its own platform's llama.cpp engine:
 * node-llama-cpp plus its prebuilt package, at one version (they must match: the package's
 * native addon is built against that binding). `engineRoot` names the folder whose
 * node_modules holds that pair: the project itself, or engines/<id> (its own lockfile, see
 * build.ts) when the pair cannot live in the project's node_modules.
 */
export interface BuildTarget {
  id: "linux-x64" | "linux-arm64" | "darwin-arm64";
  /** What `uname -sm` prints on such a machine. */
  uname: string;
  /** Bun's --target for `bun build --compile`. */
  bunTarget: string;
  platform: NodeJS.Platform;
  arch: string;
  /** The prebuilt engine package (node-llama-cpp names macOS "mac"; the Apple silicon one is Metal). */
  enginePackage: string;
  /** Relative to the project root; "." is the project's own node_modules. */
  engineRoot: string;
}

export const BUILD_TARGETS: readonly BuildTarget[] = [
  { id: "linux-x64", uname: "Linux x86_64", bunTarget: "bun-linux-x64", platform: "linux", arch: "x64", enginePackage: "@node-llama-cpp/linux-x64", engineRoot: "." },
  { id: "linux-arm64", uname: "Linux aarch64", bunTarget: "bun-linux-arm64", platform: "linux", arch: "arm64", enginePackage: "@node-llama-cpp/linux-arm64", engineRoot: "engines/linux-arm64" },
  // The newest mac-arm64-metal on npm can lag node-llama-cpp: this target pins its own pair.
  { id: "darwin-arm64", uname: "Darwin arm64", bunTarget: "bun-darwin-arm64", platform: "darwin", arch: "arm64", enginePackage: "@node-llama-cpp/mac-arm64-metal", engineRoot: "engines/darwin-arm64" },
];

/** File name of a target's binary in dist/ (and beside an installed rbee). */
export const binaryName = (t: BuildTarget) => `rbee-${t.id}`;

export function targetById(id: string): BuildTarget | undefined {
  return BUILD_TARGETS.find((t) => t.id === id);
}

/** The target of the machine this runs on, if rbee is built for it. */
export function hostTarget(platform: string = process.platform, arch: string = process.arch): BuildTarget | undefined {
  return BUILD_TARGETS.find((t) => t.platform === platform && t.arch === arch);
}

/**
 * The target for a machine from its `uname -sm` ("Linux aarch64"; some kernels say arm64).
 * A machine rbee is not built for is refused with what would run there instead.
 */
export function targetForUname(uname: string, where = "this machine"): BuildTarget {
  const [os = "", machine = ""] = uname.trim().split(/\s+/);
  const arch = machine === "x86_64" || machine === "amd64" ? "x64" : machine === "aarch64" || machine === "arm64" ? "arm64" : machine;
  const found = BUILD_TARGETS.find((t) => t.uname.split(" ")[0] === os && t.arch === arch);
  if (found) return found;
  if (os === "Darwin" && arch === "x64") {
    throw new RbeeError("UNSUPPORTED_PLATFORM", `${where} is an Intel Mac (Darwin x86_64): rbee's macOS build is for Apple silicon (arm64) only`, "Run the hive on an Apple silicon Mac, or on a Linux machine (x86_64 or aarch64).");
  }
  throw new RbeeError("UNSUPPORTED_PLATFORM", `${where} runs ${uname.trim() || "an unknown system"}: rbee is built for ${BUILD_TARGETS.map((t) => t.uname).join(", ")}`, "Pick a machine of one of those kinds.");
}

/**
 * Which machine an executable file is for, read from its header: ELF (e_machine) or 64-bit
 * Mach-O (cputype). Undefined for anything else (a script, a file too short).
 */
export function executablePlatform(header: Uint8Array): { os: "Linux" | "Darwin"; arch: string } | undefined {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (header.length >= 20 && view.getUint32(0) === 0x7f454c46) {
    const machine = view.getUint16(18, header[5] === 1);
    return { os: "Linux", arch: machine === 62 ? "x64" : machine === 183 ? "arm64" : `elf-machine-${machine}` };
  }
  if (header.length >= 8 && view.getUint32(0, true) === 0xfeedfacf) {
    const cpu = view.getUint32(4, true);
    return { os: "Darwin", arch: cpu === 0x0100000c ? "arm64" : cpu === 0x01000007 ? "x64" : `mach-cpu-${cpu}` };
  }
  return undefined;
}
