import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Which CPU engine a worker runs. node-llama-cpp's prebuilt one is built without OpenMP, so a
 * second thread gains nothing; `bun run build:engine` builds llama.cpp from the source the
 * binding ships, with OpenMP, and rbee packs it beside the prebuilt (see DESIGN.md).
 *
 * node-llama-cpp keeps local builds in `llama/localBuilds/<platform>-<arch>[-<hash of custom
 * cmake options>]`. The OpenMP build is made with one custom option, so it has a folder of its
 * own: getLlama loads it only when asked with the same option, and otherwise (or when the
 * folder is absent) loads the prebuilt one. That keeps the choice in rbee's hands.
 */
export const OPENMP_CMAKE_OPTIONS = { GGML_OPENMP: "ON" } as const;

export type CpuBuild = "openmp" | "prebuilt";

/** The file, inside the build's Release folder, naming the CPU features it was compiled for. */
export const CPU_FLAGS_FILE = "rbee-cpu-flags.txt";

/** cpuinfo flags that name instructions a compiler may emit for -march=native (others, such as "hypervisor", vary between alike machines). */
const ISA_FLAG = /^(sse|ssse3|pni|avx|fma|f16c|bmi|popcnt|abm|lzcnt|movbe|adx|sha|aes|pclmul|vpclmul|gfni|vaes|amx|rdrand|rdseed|xsave|asimd|sve|fp|crc32|atomics|dotprod|i8mm)/;

/** The instruction-set features of this machine's CPU (Linux: /proc/cpuinfo's flags). */
export function cpuFlags(cpuinfo = "/proc/cpuinfo"): string[] {
  try {
    const line = readFileSync(cpuinfo, "utf8").match(/^(?:flags|Features)\s*:(.*)$/m);
    return line ? line[1]!.trim().split(/\s+/).filter((f) => ISA_FLAG.test(f)) : [];
  } catch {
    return [];
  }
}

/**
 * The finished OpenMP build under a node-llama-cpp folder, if there is one: the local build
 * whose metadata names the OpenMP option, with node-llama-cpp's "done" mark.
 */
export function openmpBuildDir(bindingDir: string): string | undefined {
  const root = join(bindingDir, "llama", "localBuilds");
  if (!existsSync(root)) return undefined;
  for (const name of readdirSync(root).sort()) {
    const release = join(root, name, "Release");
    try {
      const meta = JSON.parse(readFileSync(join(release, "_nlcBuildMetadata.json"), "utf8"));
      const options = meta.buildOptions?.customCmakeOptions ?? {};
      const isOpenmp = meta.buildOptions?.gpu === false && Object.entries(OPENMP_CMAKE_OPTIONS).every(([k, v]) => options[k] === v) && Object.keys(options).length === Object.keys(OPENMP_CMAKE_OPTIONS).length;
      if (isOpenmp && existsSync(join(root, name, "buildDone.status"))) return join(root, name);
    } catch {
      // not a finished build
    }
  }
  return undefined;
}

export interface CpuEngineChoice {
  openmp: boolean;
  /** Why the OpenMP build is not used although there is one (not said when the user chose so). */
  reason?: string;
}

/**
 * Whether this process asks for the OpenMP build. It is compiled for the CPU it was built on
 * (GGML_NATIVE): on a CPU that lacks one of those features it would die on an illegal
 * instruction, so then the prebuilt one (which picks its variant at run time) is used.
 * RBEE_CPU_ENGINE=prebuilt chooses the prebuilt one anyway.
 */
export function chooseCpuEngine(bindingDir: string, env: NodeJS.ProcessEnv = process.env, flags: string[] = cpuFlags()): CpuEngineChoice {
  const build = openmpBuildDir(bindingDir);
  if (!build) return { openmp: false };
  if (env.RBEE_CPU_ENGINE === "prebuilt") return { openmp: false };
  let needed: string[] = [];
  try {
    needed = readFileSync(join(build, "Release", CPU_FLAGS_FILE), "utf8").trim().split(/\s+/).filter(Boolean);
  } catch {
    return { openmp: false, reason: `the OpenMP build has no ${CPU_FLAGS_FILE}` };
  }
  const have = new Set(flags);
  const missing = needed.filter((f) => !have.has(f));
  if (missing.length) return { openmp: false, reason: `the OpenMP build needs CPU features this machine lacks (${missing.slice(0, 4).join(", ")})` };
  return { openmp: true };
}

/**
 * OpenMP's threads wait for the next piece of work by sleeping unless OMP_WAIT_POLICY=active;
 * llama.cpp starts a parallel region per graph, so each token pays the wake-ups (measured on
 * the 206.6M bench model at 2 threads: 54 tok/s passive, 93–96 active). Active waiting spins
 * for GOMP_SPINCOUNT turns before sleeping: libgomp's default for it is ~5 minutes, cut to
 * 1000 turns once a process has more OpenMP threads than cores, as it has when decodes run on
 * several pool threads, each then master of a team of its own (a worker now keeps to one: see
 * one-openmp-team.ts). The bound of 10^7 turns (~0.1 s) keeps an idle worker from burning a
 * core once its last token is out.
 * libgomp reads both from the C environment when it loads, and Bun's process.env does not
 * write there, so they are set with setenv(3) before the engine loads. Values already set win.
 */
export const OPENMP_ENV = { OMP_WAIT_POLICY: "active", GOMP_SPINCOUNT: "10000000" } as const;

export async function setOpenmpActiveWait(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (process.platform !== "linux") return;
  const { dlopen, FFIType } = await import("bun:ffi");
  const libc = dlopen("libc.so.6", { setenv: { args: [FFIType.cstring, FFIType.cstring, FFIType.i32], returns: FFIType.i32 } });
  try {
    for (const [name, value] of Object.entries(OPENMP_ENV)) {
      if (env[name] !== undefined) continue;
      libc.symbols.setenv(Buffer.from(`${name}\0`), Buffer.from(`${value}\0`), 0);
      env[name] = value;
    }
  } finally {
    libc.close();
  }
}
