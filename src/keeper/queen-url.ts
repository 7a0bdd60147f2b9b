export const DEFAULT_QUEEN_URL = "http://127.0.0.1:7833";

/** The queen a keeper talks to: `--queen-url`, then RBEE_QUEEN_URL, then the default. */
export function queenUrl(flag?: string): string {
  return (flag || process.env.RBEE_QUEEN_URL || DEFAULT_QUEEN_URL).replace(/\/+$/, "");
}
