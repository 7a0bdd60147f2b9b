import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { binaryName, executablePlatform, hostTarget, type BuildTarget } from "../config/build-targets.ts";
import { RbeeError } from "../protocol/errors.ts";

/** Where this rbee runs from: its own executable when compiled; from source, the project. */
export interface BinarySearch {
  /** The running executable when rbee is compiled; undefined from source (execPath is bun). */
  self?: string;
  /** Folders that may hold rbee-<target> builds, searched in order. */
  dirs: string[];
  /** This machine's target: its own binary (self, or dist/rbee from source) serves it. */
  host?: BuildTarget;
}

/** Beside the running binary, else the project's dist/ (from source) and ./dist. */
export function defaultSearch(): BinarySearch {
  // Compiled executables run from Bun's embedded file system; from source, execPath is bun itself.
  const compiled = Bun.main.includes("$bunfs") || Bun.main.includes("~BUN");
  const dirs = compiled ? [dirname(process.execPath)] : [fileURLToPath(new URL("../../dist", import.meta.url))];
  dirs.push(resolve("dist"));
  return { ...(compiled ? { self: process.execPath } : {}), dirs: [...new Set(dirs)], host: hostTarget() };
}

function headerOf(path: string): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const buf = new Uint8Array(64);
    return buf.subarray(0, readSync(fd, buf, 0, 64, 0));
  } finally {
    closeSync(fd);
  }
}

/** True when the file is an executable for that target (a script or unknown format: undefined). */
function matches(path: string, t: BuildTarget): boolean | undefined {
  const p = executablePlatform(headerOf(path));
  return p && p.os === t.uname.split(" ")[0] && p.arch === t.arch;
}

/**
 * The rbee binary to upload to a machine of `target` (`uname` is what it printed): the one
 * given (refused if it is an executable for another machine), else this binary when the
 * machine is like this one, else rbee-<target> beside it or in dist/.
 */
export function chooseHiveBinary(target: BuildTarget, uname: string, given?: string, search: BinarySearch = defaultSearch()): string {
  if (given !== undefined) {
    if (!existsSync(given)) throw new RbeeError("BINARY_NOT_FOUND", `no rbee binary at ${given}`, "Build it with `bun run build:all` or pass another --binary PATH.");
    if (matches(given, target) === false) {
      const p = executablePlatform(headerOf(given))!;
      throw new RbeeError(
        "BINARY_PLATFORM_MISMATCH",
        `${given} is built for ${p.os} ${p.arch}, but the machine runs ${uname}`,
        `Pass the ${target.id} build: \`bun run build:all\` writes dist/${binaryName(target)}.`,
      );
    }
    return given;
  }
  const candidates: string[] = [];
  if (search.host?.id === target.id) {
    if (search.self) candidates.push(search.self);
    else candidates.push(...search.dirs.map((d) => join(d, "rbee")));
  }
  candidates.push(...search.dirs.map((d) => join(d, binaryName(target))));
  const found = candidates.find((c) => c === search.self || (existsSync(c) && matches(c, target)));
  if (found) return found;
  throw new RbeeError("NO_BUILD_FOR_PLATFORM", `no rbee build for ${uname}: run \`bun run build:all\` or pass --binary`, `Looked for ${candidates.join(", ")}.`);
}
