import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RbeeError } from "../protocol/errors.ts";

/**
 * A file the keeper sends (it is on the user's machine, which a daemon must never read by
 * path): the request body streamed into `dir/name` through a temp file, then renamed, so a cut
 * upload leaves nothing behind. `name` must already be checked (no folders, no leading dot).
 */
export async function receiveFile(dir: string, name: string, body: ReadableStream<Uint8Array> | null, signal?: AbortSignal): Promise<{ name: string; bytes: number }> {
  if (!body) throw new RbeeError("EMPTY_BODY", "the upload has no body", "Send the file's bytes.", 400);
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
