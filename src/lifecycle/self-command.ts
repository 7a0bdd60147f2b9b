import { resolve } from "node:path";

/**
 * The command line that runs this same rbee again (for workers and background daemons).
 * Compiled, the executable is rbee itself; from source it is bun plus src/main.ts.
 */
export function selfCommand(): string[] {
  if (isCompiled()) return [process.execPath];
  return [process.execPath, resolve(import.meta.dirname, "../main.ts")];
}

/** A compiled Bun executable runs its code from the embedded /$bunfs/ file system. */
export function isCompiled(): boolean {
  return import.meta.path.startsWith("/$bunfs/") || Bun.main.startsWith("/$bunfs/");
}
