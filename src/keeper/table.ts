import { formatBytes as formatByteCount } from "../model/progress.ts";

/** A plain text table: a header row and columns padded to their widest cell. */
export function formatTable(head: string[], rows: (string | number | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined ? "" : String(c))));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  return [head, ...cells].map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

/** Sizes as people read them (one formatter for the whole project). */
export function formatBytes(n: number | undefined): string {
  return n === undefined ? "" : formatByteCount(n);
}

/** A record as aligned `key  value` lines. */
export function formatRecord(record: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(record).map((k) => k.length));
  return Object.entries(record)
    .map(([k, v]) => `${k.padEnd(width)}  ${typeof v === "object" && v !== null ? JSON.stringify(v) : v}`)
    .join("\n");
}
