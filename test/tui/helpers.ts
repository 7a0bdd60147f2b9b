/** Polls `check` until it holds (or throws after `ms`): frames settle asynchronously. */
export async function waitFor(check: () => boolean, ms = 5_000, what = "condition"): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Strips colour codes from a frame so tests read it as a user sees it. */
export const plain = (frame: string | undefined): string => (frame ?? "").replace(/\u001b\[[0-9;]*m/g, "");

/** Named keys as a terminal sends them. */
export const KEY = { up: "\u001b[A", down: "\u001b[B", enter: "\r", escape: "\u001b", tab: "\t", backspace: "\u007f" } as const;
