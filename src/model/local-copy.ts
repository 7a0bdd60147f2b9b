import { createReadStream } from "node:fs";
import { open, rename, stat, unlink } from "node:fs/promises";
import { basename } from "node:path";
import { abortError } from "./download-errors.ts";
import type { DownloadResult } from "./download.ts";
import { ProgressNarrator } from "./progress.ts";

/**
 * Copies a local model file to `dest` through a temp file and a rename, narrating progress
 * like a download and hashing on the way. A cancelled copy leaves nothing behind.
 */
export async function copyIntoPlace(src: string, dest: string, opts: { signal?: AbortSignal; label?: string } = {}): Promise<DownloadResult> {
  const total = (await stat(src)).size;
  const tmp = `${dest}.copy-${process.pid}-${Date.now()}`;
  const progress = new ProgressNarrator(opts.label ?? basename(src), 0, total);
  progress.start("copying");
  const hasher = new Bun.CryptoHasher("sha256");
  const out = await open(tmp, "w", 0o600);
  let position = 0;
  try {
    for await (const chunk of createReadStream(src, { highWaterMark: 1 << 20 })) {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      const buf = chunk as Buffer;
      await out.write(buf, 0, buf.length, position);
      position += buf.length;
      hasher.update(buf);
      progress.tick(position);
    }
    await out.sync();
    await out.close();
    await rename(tmp, dest);
  } catch (err) {
    await out.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw opts.signal?.aborted ? abortError(opts.signal) : err;
  }
  progress.done(position);
  return { size_bytes: position, sha256: hasher.digest("hex"), resumed_from: 0 };
}
