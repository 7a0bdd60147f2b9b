import { open } from "node:fs/promises";

const CHUNK_BYTES = 1 << 20;

/**
 * Reads a file's first `length` bytes (all of it by default) through ONE reused 1 MiB buffer.
 * A stream would allocate a fresh buffer per chunk: copying a 220 MB model that way left the
 * queen's heap 40 MB larger until a GC, and some of it never went back to the system. `each`
 * must be done with the bytes when it returns (hash them, write them), since they are overwritten.
 */
export async function forEachChunk(path: string, each: (bytes: Uint8Array) => void | Promise<void>, opts: { length?: number } = {}): Promise<number> {
  const file = await open(path, "r");
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let position = 0;
  try {
    for (;;) {
      const want = Math.min(CHUNK_BYTES, (opts.length ?? Infinity) - position);
      if (want <= 0) break;
      const { bytesRead } = await file.read(buffer, 0, want, position);
      if (bytesRead === 0) break;
      await each(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
  } finally {
    await file.close();
  }
  return position;
}
