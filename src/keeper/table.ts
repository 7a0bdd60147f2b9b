/** A plain text table: a header row and columns padded to their widest cell. */
export function formatTable(head: string[], rows: (string | number | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined ? "" : String(c))));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  return [head, ...cells].map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}

/** A record as aligned `key  value` lines. */
export function formatRecord(record: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(record).map((k) => k.length));
  return Object.entries(record)
    .map(([k, v]) => `${k.padEnd(width)}  ${typeof v === "object" && v !== null ? JSON.stringify(v) : v}`)
    .join("\n");
}
