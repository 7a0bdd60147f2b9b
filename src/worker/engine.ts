/** Loads node-llama-cpp (kept out of the bundle: it reads its own package files at run time). */
export type Engine = typeof import("node-llama-cpp");

let engine: Promise<Engine> | undefined;

export function loadEngine(): Promise<Engine> {
  engine ??= import("node-llama-cpp");
  return engine;
}
