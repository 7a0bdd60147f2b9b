/** True when a daemon answers GET /health within `timeoutMs`. */
export async function isHealthy(baseUrl: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Polls health with backoff (50 ms doubling to 1 s) until it answers or `timeoutMs` passes.
 * `alive` lets the caller stop early when the process it started has already exited.
 */
export async function waitHealthy(baseUrl: string, timeoutMs: number, alive: () => boolean = () => true): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  while (Date.now() < deadline) {
    if (await isHealthy(baseUrl, 500)) return true;
    if (!alive()) return false;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(1_000, delay * 2);
  }
  return false;
}

/** True while a process with this pid exists (signal 0 checks without sending anything). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
