/** One column of a resource table. Lower `priority` stays longer as the terminal narrows. */
export interface Column<T> {
  title: string;
  get: (row: T, now: number) => string;
  priority: number;
  /** The most characters it takes (longer cells are cut). */
  max?: number;
}

/** A resource's table: how to name a row and which columns it has. */
export interface ResourceTable<T> {
  title: string;
  idOf: (row: T) => string;
  columns: Column<T>[];
  empty: string;
}

export interface FittedColumn<T> extends Column<T> {
  width: number;
}

const GAP = 2;

/**
 * Picks the columns that fit `width` (by priority, keeping their order) and their widths:
 * the narrower the terminal, the fewer columns, as k9s does.
 */
export function fitColumns<T>(columns: Column<T>[], rows: T[], width: number, now: number): FittedColumn<T>[] {
  const natural = columns.map((c) => Math.min(c.max ?? 60, Math.max(c.title.length, ...rows.map((r) => c.get(r, now).length))));
  const order = columns.map((_, i) => i).sort((a, b) => columns[a].priority - columns[b].priority);
  const chosen = new Set<number>();
  let used = 0;
  for (const i of order) {
    const need = natural[i] + (chosen.size ? GAP : 0);
    if (chosen.size && used + need > width) continue;
    chosen.add(i);
    used += need;
  }
  const fitted = columns.flatMap((c, i) => (chosen.has(i) ? [{ ...c, width: natural[i] }] : []));
  // Spare room goes to the last column so the selection bar spans the row.
  if (fitted.length) fitted[fitted.length - 1].width += Math.max(0, width - used);
  return fitted;
}

export function formatCells<T>(columns: FittedColumn<T>[], row: T, now: number): string {
  return columns.map((c) => cut(c.get(row, now), c.width).padEnd(c.width)).join(" ".repeat(GAP));
}

export function formatHeader<T>(columns: FittedColumn<T>[]): string {
  return columns.map((c) => c.title.padEnd(c.width)).join(" ".repeat(GAP));
}

export function cut(text: string, width: number): string {
  return text.length <= width ? text : width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`;
}

export function ago(ms: number | undefined, now: number): string {
  if (!ms) return "";
  return duration(now - ms);
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
