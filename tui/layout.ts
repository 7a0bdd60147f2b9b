/** Terminal size in cells. */
export interface Size {
  columns: number;
  rows: number;
}

export interface Layout {
  columns: number;
  rows: number;
  /** The hint bar's items, line by line. */
  hintLines: string[][];
  tableHeight: number;
  paneHeight: number;
  /** Widths of the panes shown side by side (as many as fit; the newest win). */
  paneWidths: number[];
}

/** The narrowest a pane gets before fewer are shown side by side. */
export const MIN_PANE_WIDTH = 34;
const MIN_TABLE = 5;

/**
 * Splits the screen: header and tabs (1 row each), the resource table, the job panes,
 * the hint bar. Everything is computed from the terminal size, so a resize reflows it.
 */
export function planLayout(size: Size, hints: string[], panes: number): Layout {
  const columns = Math.max(20, size.columns);
  const rows = Math.max(10, size.rows);
  const hintLines = wrapItems(hints, columns);
  const body = Math.max(MIN_TABLE, rows - 2 - hintLines.length);
  let paneHeight = 0;
  if (panes > 0 && body >= MIN_TABLE + 4) paneHeight = Math.min(16, Math.max(4, Math.floor(body / 2)), body - MIN_TABLE);
  const count = paneHeight ? Math.min(panes, Math.max(1, Math.floor(columns / MIN_PANE_WIDTH))) : 0;
  const paneWidths = Array.from({ length: count }, (_, i) => Math.floor(columns / count) + (i < columns % count ? 1 : 0));
  return { columns, rows, hintLines, tableHeight: body - paneHeight, paneHeight, paneWidths };
}

/** Greedy line filling of short items separated by two spaces. */
export function wrapItems(items: string[], width: number): string[][] {
  const lines: string[][] = [];
  let line: string[] = [];
  let used = 0;
  for (const item of items) {
    if (line.length && used + 2 + item.length > width) {
      lines.push(line);
      line = [];
      used = 0;
    }
    used += (line.length ? 2 : 0) + item.length;
    line.push(item);
  }
  if (line.length) lines.push(line);
  return lines;
}

/** Hard-wraps text to `width` columns (one cell per code point), keeping its newlines. */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  const w = Math.max(1, width);
  for (const raw of text.split("\n")) {
    const chars = [...raw];
    if (!chars.length) out.push("");
    for (let i = 0; i < chars.length; i += w) out.push(chars.slice(i, i + w).join(""));
  }
  return out;
}
