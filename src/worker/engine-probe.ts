import { resolve, sep } from "node:path";
import { rbeePaths } from "../config/paths.ts";

/** Set in the environment of the rbee child that unpacks the embedded engine (see engine-unpack.ts). */
export const UNPACK_ENV = "RBEE_ENGINE_UNPACK_INTO";

/**
 * On Linux, node-llama-cpp checks its prebuilt addon in a child process before loading it:
 * it forks `process.execPath <…>/testBindingBinary.js` with TEST_BINDING_CP=true and an IPC
 * channel. In the compiled binary process.execPath is rbee itself, so rbee must recognise
 * that call and run the script instead of its CLI. Only scripts inside rbee's own unpacked
 * engine qualify.
 */
export function engineProbeScript(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TEST_BINDING_CP !== "true" || typeof process.send !== "function") return undefined;
  const script = argv.slice(2).find((a) => /[\\/]testBindingBinary\.js$/.test(a));
  if (!script) return undefined;
  const engineRoot = resolve(rbeePaths(env).cache, "engine") + sep;
  return resolve(script).startsWith(engineRoot) ? resolve(script) : undefined;
}
