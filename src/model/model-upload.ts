import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RbeeError } from "../protocol/errors.ts";
import { importDir } from "./model-folders.ts";

/** A file name the import folder takes: no folders, no dots in front, a .gguf at the end. */
const UPLOAD_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,250}\.gguf$/;

export function checkUploadName(name: string): string {
  if (!UPLOAD_NAME.test(name)) throw new RbeeError("INVALID_UPLOAD_NAME", "an uploaded model needs a plain .gguf file name", "letters, digits, '.', '_' and '-', ending in .gguf", 400);
  return name;
}

/**
 * A model file the keeper sends (it is on the user's machine, which a daemon must never read
 * by path): streamed into the hive's import folder through a temp file, then renamed, so a cut
 * upload leaves nothing behind. `model_download NAME` then takes it from there.
 */
export async function receiveUpload(name: string, body: ReadableStream<Uint8Array> | null, signal?: AbortSignal): Promise<{ name: string; bytes: number }> {
  checkUploadName(name);
  if (!body) throw new RbeeError("EMPTY_BODY", "the upload has no body", "Send the file's bytes.", 400);
  const dir = importDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${name}.upload-${randomBytes(4).toString("hex")}`);
  const out = createWriteStream(tmp, { mode: 0o600 });
  let bytes = 0;
  try {
    for await (const chunk of body) {
      if (signal?.aborted) throw signal.reason;
      bytes += chunk.byteLength;
      if (!out.write(chunk)) await new Promise((r) => out.once("drain", r));
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    renameSync(tmp, join(dir, name));
    return { name, bytes };
  } catch (err) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw err instanceof RbeeError ? err : new RbeeError("UPLOAD_FAILED", `the upload of ${name} did not complete: ${(err as Error).message}`, "Run the command again.", 400);
  }
}
