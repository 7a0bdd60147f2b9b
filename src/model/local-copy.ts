import { chmod, open, rename, stat, unlink } from "node:fs/promises";
import { basename } from "node:path";
import { abortError } from "./download-errors.ts";
import type { DownloadResult } from "./download.ts";
import { formatBytes, ProgressNarrator } from "./progress.ts";
import { forEachChunk } from "./file-chunks.ts";
import { narrate } from "../narration/narrate.ts";

/**
 * Copies a local model file to `dest` through a temp file and a rename, narrating progress
 * like a download and hashing on the way. A cancelled copy leaves nothing behind. With `move`,
 * the file is hashed, then renamed into place (copied and removed only across file systems).
 */
export async function copyIntoPlace(src: string, dest: string, opts: { signal?: AbortSignal; label?: string; move?: boolean } = {}): Promise<DownloadResult> {
  if (opts.move) {
    const moved = await moveIntoPlace(src, dest, opts.signal);
    if (moved) return moved;
    const copied = await copyIntoPlace(src, dest, { ...opts, move: false });
    await unlink(src);
    return copied;
  }
  const total = (await stat(src)).size;
  const tmp = `${dest}.copy-${process.pid}-${Date.now()}`;
  const progress = new ProgressNarrator(opts.label ?? basename(src), 0, total);
  progress.start("copying");
  const hasher = new Bun.CryptoHasher("sha256");
  const out = await open(tmp, "w", 0o600);
  let position = 0;
  try {
    await forEachChunk(src, async (bytes) => {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      await out.write(bytes, 0, bytes.length, position);
      position += bytes.length;
      hasher.update(bytes);
      progress.tick(position);
    });
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

/** Renames `src` to `dest` after hashing it; undefined when they are on different file systems. */
async function moveIntoPlace(src: string, dest: string, signal?: AbortSignal): Promise<DownloadResult | undefined> {
  const hasher = new Bun.CryptoHasher("sha256");
  const size = await forEachChunk(src, (bytes) => {
    if (signal?.aborted) throw abortError(signal);
    hasher.update(bytes);
  });
  try {
    await rename(src, dest);
    await chmod(dest, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EXDEV") return undefined;
    throw err;
  }
  narrate("model_moved", `moved ${basename(src)} from the import folder into the models folder (${formatBytes(size)})`, { file: basename(src), size_bytes: size });
  return { size_bytes: size, sha256: hasher.digest("hex"), resumed_from: 0 };
}
