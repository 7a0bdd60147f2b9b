import type { Progress } from "../src/protocol/events.ts";
import { formatBytes } from "../src/keeper/table.ts";
import { wrapText } from "./layout.ts";
import type { PaneState } from "./pane-log.ts";

export interface StyledLine {
  text: string;
  color?: string;
  dim?: boolean;
}

const OUTCOME_COLOR = { completed: "green", failed: "red", cancelled: "yellow", lost: "red" } as const;

/** The last `height` lines of a pane's story, wrapped to `width`: what fits is the newest. */
export function paneLines(pane: PaneState, width: number, height: number): StyledLine[] {
  const lines: StyledLine[] = [];
  for (const e of pane.entries) {
    if (e.kind === "text") for (const t of wrapText(e.text, width)) lines.push({ text: t });
    else if (e.kind === "end") for (const t of wrapText(e.text, width)) lines.push({ text: t, color: OUTCOME_COLOR[e.outcome] });
    else {
      const color = e.level === "error" ? "red" : e.level === "warn" ? "yellow" : undefined;
      for (const t of wrapText(`› ${e.text}`, width)) lines.push({ text: t, color, dim: !color });
    }
  }
  const gauge = pane.progress && !pane.outcome ? progressLine(pane.progress, width) : undefined;
  const room = Math.max(0, height - (gauge ? 1 : 0));
  const shown = room ? lines.slice(-room) : [];
  return gauge ? [...shown, { text: gauge, color: "cyan" }] : shown;
}

/** A text gauge: `[#####-----] 45% 12.3 MiB/27.1 MiB`. */
export function progressLine(p: Progress, width: number): string {
  const bytes = p.unit === "bytes";
  const amount = (n: number) => (bytes ? formatBytes(n) : String(n));
  if (!p.total) return `${amount(p.current)}${bytes ? "" : ` ${p.unit ?? ""}`}`.slice(0, width);
  const ratio = Math.max(0, Math.min(1, p.current / p.total));
  const label = ` ${Math.floor(ratio * 100)}% ${amount(p.current)}/${amount(p.total)}`;
  const bar = Math.max(4, width - label.length - 2);
  const filled = Math.round(ratio * bar);
  return `[${"#".repeat(filled)}${"-".repeat(bar - filled)}]${label}`.slice(0, width);
}
