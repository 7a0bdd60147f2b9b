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
export function waitHealthy(baseUrl: string, timeoutMs: number, alive: () => boolean = () => true): Promise<boolean> {
  return pollUntil(() => isHealthy(baseUrl, 500), timeoutMs, { alive, firstMs: 50, maxMs: 1_000 });
}

/**
 * Polls `check` with backoff (`firstMs` doubling to `maxMs`) until it is true or `timeoutMs`
 * passes; `alive` stops early when what we wait on can no longer get there.
 */
export async function pollUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  { alive = () => true, firstMs = 25, maxMs = 250 }: { alive?: () => boolean; firstMs?: number; maxMs?: number } = {},
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = firstMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    if (!alive()) return false;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(maxMs, delay * 2);
  }
  return check();
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
