import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { receiveFile } from "../http/receive-file.ts";
import { RbeeError } from "../protocol/errors.ts";
import { engineCacheRoot } from "./backends.ts";

/** A tarball name the upload folder takes: no folders, no dots in front, a .tgz at the end. */
export const ENGINE_UPLOAD_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}\.tgz$/;

/** Where tarballs sent by the keeper wait for their `engine_install`, which removes them. */
export const engineUploadDir = (env?: NodeJS.ProcessEnv) => join(engineCacheRoot(env), "uploads");

/** An engine tarball from the keeper's machine (the hive cannot see that file), kept until installed. */
export function receiveEngineUpload(name: string, body: ReadableStream<Uint8Array> | null, signal?: AbortSignal): Promise<{ name: string; bytes: number }> {
  return receiveFile(engineUploadDir(), checkName(name), body, signal);
}

function checkName(name: string): string {
  if (!ENGINE_UPLOAD_NAME.test(name)) throw new RbeeError("INVALID_UPLOAD_NAME", "an uploaded engine needs a plain .tgz file name", "letters, digits, '.', '_' and '-', ending in .tgz", 400);
  return name;
}

/**
 * Installs from the uploaded tarballs `names` with `install`, then removes them: uploads are
 * used once, installed or refused. A name that never arrived is refused.
 */
export async function withUploads<T>(names: string[], install: (paths: string[]) => Promise<T>): Promise<T> {
  const paths = names.map((name) => join(engineUploadDir(), checkName(name)));
  try {
    const missing = names.filter((_, i) => !existsSync(paths[i]));
    if (missing.length) {
      throw new RbeeError("UPLOAD_NOT_FOUND", `no uploaded engine tarball ${missing.join(", ")} on this hive`, "Upload it first (`rbee engine install BACKEND --from FILE.tgz` does both).", 404);
    }
    return await install(paths);
  } finally {
    for (const p of paths) rmSync(p, { force: true });
  }
}
