import { existsSync, statSync } from "node:fs";
import { basename, isAbsolute, resolve } from "node:path";
import { expandHome } from "../model/model-folders.ts";
import { checkUploadName } from "../model/model-upload.ts";
import { RbeeError } from "../protocol/errors.ts";

/** `hf:…`, `https://…`, `demo:…`: anything with a scheme is not a path. */
const HAS_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * A model source as the keeper sends it. A local path is resolved where the user typed it (their
 * folder, their `~`) and the file itself goes up to the hive's import folder: a daemon never
 * opens a path the keeper names. Returns what `model_download` then takes: the uploaded file's
 * name. Other sources go as they are.
 */
export async function resolveSourceArg(source: string, upload: (path: string, name: string) => Promise<void>, cwd = process.cwd()): Promise<string> {
  if (HAS_SCHEME.test(source.trim())) return source;
  const path = resolve(cwd, expandHome(source.trim()));
  if (!existsSync(path) || !statSync(path).isFile()) {
    // Not here: an absolute path or a bare name may name a file in the hive's own model folders.
    if (isAbsolute(source.trim()) || !/[\\/]/.test(source.trim())) return source;
    throw new RbeeError("MODEL_FILE_MISSING", `no file at ${path}`, "Check the path: it is taken from the folder you run rbee in.");
  }
  const name = checkUploadName(basename(path));
  await upload(path, name);
  return name;
}
