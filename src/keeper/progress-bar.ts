import { formatBytes } from "../model/progress.ts";
import type { Progress } from "../protocol/events.ts";

/** One line drawn in place on a TTY: `label [#####-----] 42% 12.0/28.5 MiB`. */
export function renderProgressLine(label: string, p: Progress, width = 80): string {
  const amount = formatAmount(p.current, p.unit) + (p.total ? `/${formatAmount(p.total, p.unit)}` : "");
  if (!p.total) return truncate(`${label} ${amount}`, width);
  const ratio = Math.min(1, Math.max(0, p.current / p.total));
  const pct = `${Math.floor(ratio * 100)}%`.padStart(4);
  const barWidth = Math.max(10, Math.min(30, width - label.length - amount.length - 10));
  const filled = Math.round(ratio * barWidth);
  return truncate(`${label} [${"#".repeat(filled)}${"-".repeat(barWidth - filled)}] ${pct} ${amount}`, width);
}

function formatAmount(n: number, unit?: string): string {
  if (unit === "bytes") return formatBytes(n);
  return unit ? `${n} ${unit}` : String(n);
}

const truncate = (s: string, width: number) => (s.length > width ? s.slice(0, width - 1) : s);
