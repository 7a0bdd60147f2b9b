/**
 * The engine archive inside the compiled binary. Running from source there is none (the
 * engine loads from node_modules); build.ts replaces this module with one that embeds
 * dist/engine/engine.tar.gz and names its hash and version.
 */
export interface EmbeddedEngine {
  /** Path of the embedded archive, readable with Bun.file(). */
  archive: string;
  /** sha256 of the archive. */
  hash: string;
  /** node-llama-cpp's version. */
  version: string;
}

export const embeddedEngine: EmbeddedEngine | undefined = undefined;
