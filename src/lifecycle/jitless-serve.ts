import { selfCommand } from "./self-command.ts";

/** Set beside BUN_JSC_useJIT=0 when `serve` gave it to itself, so that its children get the JIT back. */
const MARK = "RBEE_SERVE_JITLESS";

/**
 * `rbee serve` (the queen, or a hive) runs JavaScriptCore's interpreter alone, without its JIT
 * compilers. A daemon that routes requests and relays tokens spends its CPU in native code (HTTP,
 * JSON, SQLite), and the JIT tiers cost it ~15 MiB of resident memory: their own machine code and
 * the code they write. JSC reads its options once, from the environment, when the process starts,
 * so `serve` executes itself again (execve: same pid, nothing else started yet) with
 * BUN_JSC_useJIT=0. Anyone who sets BUN_JSC_useJIT themselves (1 keeps the JIT) is left alone.
 * Workers keep the JIT: their sampling loop runs JavaScript for every token.
 */
export function serveWithoutJit(argv: string[]): void {
  if (process.env[MARK] === "1") {
    // The second start: the options are read; the children (workers, probes, tar) inherit neither.
    delete process.env.BUN_JSC_useJIT;
    delete process.env[MARK];
    return;
  }
  // Bun has Node's process.execve; the Node types this project builds with predate it.
  const { execve } = process as unknown as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never };
  if (argv[0] !== "serve" || process.env.BUN_JSC_useJIT !== undefined || !execve) return;
  const [cmd, ...pre] = selfCommand();
  try {
    execve.call(process, cmd!, [cmd!, ...pre, ...argv], { ...process.env, BUN_JSC_useJIT: "0", [MARK]: "1" });
  } catch {
    // The executable went away (an upgrade replaced it) or cannot be run again: serve with the JIT.
  }
}
