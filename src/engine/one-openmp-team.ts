import { read, writeSync } from "node:fs";
import { availableParallelism } from "node:os";

/**
 * node-llama-cpp runs each decode and each sampling as native async work on Bun's work pool,
 * on whichever pool thread is free. libgomp keeps one OpenMP team per thread that opens a
 * parallel region, so a worker at 2 threads ends up with a team on each pool thread: 4 OpenMP
 * threads on 2 cores. libgomp then cuts its spin to 1000 turns (more threads than cores), so
 * the threads sleep in the barrier llama.cpp crosses after every graph node, and an idle team
 * may still spin beside the busy one. llama-server decodes from one thread: one team.
 *
 * A worker gets the same by holding all but one pool thread in a read that never returns: then
 * every native call runs on the last one. Bun sizes its pool from UV_THREADPOOL_SIZE (then
 * GOMAXPROCS, then the core count), never below 2; the hive starts workers with 2
 * (POOL_THREADS_ENV). Where the size is not known to be 2, nothing is held: holding every
 * pool thread would stop every native call, while holding too few only leaves two teams.
 * Measured on the bench model at 2 threads through the queen, pairs with llama-server: median
 * 0.91–0.95× with two teams, 0.95–1.0× with one.
 */
export const POOL_THREADS_ENV = { UV_THREADPOOL_SIZE: "2" } as const;

/** The write end of the pipe a pool thread reads, while one is held. */
let heldBy: number | undefined;
/** Only a worker's own process holds a thread: main.ts lets it go when the command ends. */
let mayHold = false;

export const allowPoolThreadHold = (): void => void (mayHold = true);

export async function holdAllPoolThreadsButOne(): Promise<void> {
  if (heldBy !== undefined || !mayHold || process.platform !== "linux" || bunPoolThreads(process.env, availableParallelism()) !== 2) return;
  const { dlopen, FFIType, ptr } = await import("bun:ffi");
  const libc = dlopen("libc.so.6", { pipe: { args: [FFIType.ptr], returns: FFIType.i32 } });
  try {
    const fds = new Int32Array(2);
    if (libc.symbols.pipe(ptr(fds)) !== 0) return;
    read(fds[0]!, Buffer.alloc(1), 0, 1, null, () => {});
    heldBy = fds[1]!;
  } finally {
    libc.close();
  }
}

/** Bun's work pool size when it is certain, else undefined. */
export function bunPoolThreads(env: NodeJS.ProcessEnv, cores: number): number | undefined {
  const set = env.UV_THREADPOOL_SIZE ?? env.GOMAXPROCS;
  if (set === undefined) return Math.max(2, cores);
  return /^\d+$/.test(set) && Number(set) >= 2 ? Number(set) : undefined;
}

/**
 * Lets the held thread go: the pending read keeps the process alive, and its exit waits for
 * every pool thread. Called once the command is done.
 */
export function releasePoolThread(): void {
  if (heldBy === undefined) return;
  writeSync(heldBy, "x");
  heldBy = undefined;
}
