import { existsSync } from "node:fs";
import { RbeeError } from "../protocol/errors.ts";
import { parseModelSource } from "../model/model-source.ts";

/** `hf:…`, `https://…`, `demo:…`: anything with a scheme is not a path. */
const HAS_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * A model source as the keeper sends it: a local path is resolved where the user typed it
 * (their folder, their `~`), not in the queen's working folder, and a missing file is said
 * at once with the path as the user sees it. Other sources go as they are.
 */
export function resolveSourceArg(source: string, queenIsLocal: boolean, cwd = process.cwd()): string {
  if (HAS_SCHEME.test(source.trim())) return source;
  if (queenIsLocal) {
    const parsed = parseModelSource(source, cwd);
    return parsed.kind === "local" ? parsed.path : source;
  }
  // The queen is on another machine: it cannot open a file that is only here.
  let here: string | undefined;
  try {
    const parsed = parseModelSource(source, cwd);
    if (parsed.kind === "local" && existsSync(parsed.path)) here = parsed.path;
  } catch {}
  if (here && !source.startsWith("/")) {
    throw new RbeeError(
      "MODEL_FILE_NOT_ON_QUEEN",
      `${here} is on this machine, and the queen is on another one`,
      "Copy the file to the hive's machine and give its path there, or serve it over https:// and give the URL.",
    );
  }
  return source;
}
