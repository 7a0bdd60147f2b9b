import { realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, isAbsolute, join, relative, resolve, sep } from "node:path";
import { readConfig } from "../config/config-file.ts";
import { rbeePaths } from "../config/paths.ts";
import { RbeeError } from "../protocol/errors.ts";

/**
 * The folders a hive may copy local model files from. A model source is text from the
 * network, so a path in it must never open just any file the daemon can read: only the
 * import folder (always) and the folders the operator lists in RBEE_MODEL_FOLDERS (joined
 * with ':') or `model_folders` in config.json.
 */
export const importDir = (env: NodeJS.ProcessEnv = process.env) => join(rbeePaths(env).data, "import");

export function allowedModelFolders(env: NodeJS.ProcessEnv = process.env): string[] {
  let configured: string[] | undefined = env.RBEE_MODEL_FOLDERS?.split(delimiter).filter(Boolean);
  if (!configured) {
    try {
      configured = readConfig().model_folders;
    } catch {
      configured = undefined;
    }
  }
  return [importDir(env), ...(configured ?? []).map((f) => expandHome(f)).filter((f) => isAbsolute(f))];
}

/** `~` and `~/…` as a shell would expand them. */
export const expandHome = (p: string) => (p === "~" ? homedir() : p.startsWith("~/") ? join(homedir(), p.slice(2)) : p);

function notAllowed(folders: string[]): RbeeError {
  return new RbeeError(
    "MODEL_PATH_NOT_ALLOWED",
    "local model files are read only from this hive's model folders",
    `put the file in ${folders[0]}, or add its folder to "model_folders" in config.json (or RBEE_MODEL_FOLDERS) on the hive`,
    403,
  );
}

/**
 * The real path of a local model file named by `input` (relative names are taken inside the
 * import folder), or a clear error that names neither the input nor anything outside the
 * folders: whether a file exists elsewhere is not this API's to tell.
 */
export function resolveLocalModel(input: string, folders: string[]): string {
  const lexical = resolve(folders[0], expandHome(input));
  if (!folders.some((f) => isInside(resolve(f), lexical))) throw notAllowed(folders);
  let real: string;
  try {
    real = realpathSync(lexical);
  } catch {
    throw new RbeeError("MODEL_FILE_MISSING", "no such model file in this hive's model folders", `check the file name; local files are read from ${folders.join(", ")}`, 404);
  }
  // A link inside a folder must not lead out of every folder.
  if (!folders.some((f) => isInside(realOrSelf(f), real))) throw notAllowed(folders);
  if (!statSync(real).isFile()) throw new RbeeError("INVALID_MODEL_SOURCE", "the local model source is not a regular file", "point at a .gguf file", 400);
  return real;
}

export function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

export function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
