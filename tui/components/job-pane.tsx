import { Text } from "ink";
import type { PaneState } from "../pane-log.ts";
import { paneLines } from "../pane-lines.ts";
import { Panel } from "./panel.tsx";

const STATE_COLOR = { completed: "green", failed: "red", cancelled: "yellow", lost: "red" } as const;

export interface JobPaneProps {
  pane: PaneState;
  width: number;
  height: number;
  pinned?: boolean;
  more?: number;
}

export const shortId = (jobId: string) => jobId.replace(/^job-/, "").slice(0, 8);

/** One job's live story: narration, streamed tokens, a progress gauge, the end marker. */
export function JobPane({ pane, width, height, pinned, more }: JobPaneProps) {
  const inner = Math.max(1, width - 2);
  const lines = paneLines(pane, inner, Math.max(0, height - 2));
  const state = pane.outcome ?? "running";
  const extra = pane.operation === "infer" && pane.tokens ? ` ${pane.tokens} tok` : "";
  // A short id (job-5988c6d84b… → 5988c6d8) keeps the state in the title on narrow panes.
  const title = `${pinned ? "▸ " : ""}${pane.operation} ${shortId(pane.jobId)} ${state}${extra}${more ? ` +${more}` : ""}`;
  return (
    <Panel title={title} width={width} height={height} color={pane.outcome ? STATE_COLOR[pane.outcome] : "cyan"}>
      {lines.map((l, i) => (
        <Text key={i} color={l.color} dimColor={l.dim} wrap="truncate">
          {l.text || " "}
        </Text>
      ))}
    </Panel>
  );
}
