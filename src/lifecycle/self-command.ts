import { fileURLToPath } from "node:url";

/**
 * The command line that runs this same rbee again (for workers and background daemons).
 * Compiled, the executable is rbee itself; from source it is bun plus src/main.ts.
 */
export function selfCommand(): string[] {
  if (isCompiled()) return [process.execPath];
  return [process.execPath, fileURLToPath(new URL("../main.ts", import.meta.url))];
}

/** A compiled Bun executable runs its code from the embedded /$bunfs/ file system. */
export function isCompiled(): boolean {
  return Bun.main.startsWith("/$bunfs/") || import.meta.url.includes("$bunfs");
}
