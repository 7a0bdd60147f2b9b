import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { RbeeError } from "../protocol/errors.ts";

/** `hf:…`, `https://…`, `demo:…`: anything with a scheme is not a path. */
const HAS_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * A model source as the keeper sends it: a local path is resolved where the user typed it
 * (their folder, their `~`), not in the queen's working folder, and a missing file is said
 * at once with the path as the user sees it. Other sources go as they are.
 */
export function resolveSourceArg(source: string, queenIsLocal: boolean, cwd = process.cwd()): string {
  if (HAS_SCHEME.test(source.trim())) return source;
  const path = resolve(cwd, expandHome(source.trim()));
  if (queenIsLocal) {
    // The hive decides whether it may read it (its model folders); the keeper only says where it is.
    if (!existsSync(path)) throw new RbeeError("MODEL_FILE_MISSING", `no file at ${path}`, "Check the path: it is taken from the folder you run rbee in.");
    return path;
  }
  // The queen is on another machine: it cannot open a file that is only here.
  if (existsSync(path) && !source.startsWith("/")) {
    throw new RbeeError(
      "MODEL_FILE_NOT_ON_QUEEN",
      `${path} is on this machine, and the queen is on another one`,
      "Copy the file to the hive's machine and give its path there, or serve it over https:// and give the URL.",
    );
  }
  return source;
}

const expandHome = (p: string) => (p === "~" ? homedir() : p.startsWith("~/") ? join(homedir(), p.slice(2)) : p);
