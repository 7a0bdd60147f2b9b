import { UsageError } from "clipanion";
import { DEFAULT_QUEEN_URL, queenUrl } from "../src/keeper/queen-url.ts";
import { ensureLocalQueen } from "../src/lifecycle/local-queen.ts";

export const isLoopbackUrl = (url: string) => /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(new URL(url).hostname);

/** `--queen-url URL` when the queen is not the default one (what a command must add to reach it). */
export const queenUrlFlag = (url: string) => (url === DEFAULT_QUEEN_URL ? "" : ` --queen-url ${url}`);

/**
 * Commands that do work need a queen: when none answers on a loopback URL, start one in the
 * background, say so, and say how to stop that very queen. Remote URLs are never started.
 */
export async function autostartQueen(url: string, stderr: NodeJS.WritableStream): Promise<void> {
  if (process.env.RBEE_NO_AUTOSTART === "1" || !isLoopbackUrl(url)) return;
  const handle = await ensureLocalQueen(url);
  if (handle.started_by_us) stderr.write(`started a queen on ${url} (pid ${handle.pid}); it keeps running — stop it with \`rbee queen stop${queenUrlFlag(url)}\`\n`);
}

/** The queen's URL from `--queen-url` or RBEE_QUEEN_URL; one that is not an http URL is misuse (exit 2). */
export function resolveQueenUrl(flag?: string): string {
  const url = queenUrl(flag);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {}
  if (!parsed || !/^https?:$/.test(parsed.protocol)) {
    const from = flag ? "--queen-url" : "RBEE_QUEEN_URL";
    throw new UsageError(`${from} "${url}" is not an http URL; give one like ${DEFAULT_QUEEN_URL}`);
  }
  return url;
}
