import { Box, Text } from "ink";
import { wrapText, type Size } from "../layout.ts";
import type { StyledLine } from "../pane-lines.ts";
import { Panel } from "./panel.tsx";

export interface OverlayProps {
  title: string;
  lines: StyledLine[];
  size: Size;
  color?: string;
  width?: number;
}

/**
 * A centred box drawn over the dashboard. Every line is padded to the full width so it
 * paints over whatever lies beneath it.
 */
export function Overlay({ title, lines, size, color = "cyan", width = 64 }: OverlayProps) {
  const w = Math.max(20, Math.min(size.columns - 2, width));
  const inner = w - 4;
  const wrapped = lines.flatMap((l) => wrapText(l.text, inner).map((text) => ({ ...l, text })));
  const h = Math.max(3, Math.min(size.rows - 2, wrapped.length + 2));
  const shown = wrapped.slice(0, h - 2);
  while (shown.length < h - 2) shown.push({ text: "" });
  return (
    <Box position="absolute" top={Math.max(0, Math.floor((size.rows - h) / 2))} left={Math.max(0, Math.floor((size.columns - w) / 2))} width={w} height={h}>
      <Panel title={title} width={w} height={h} color={color}>
        {shown.map((l, i) => (
          <Text key={i} wrap="truncate">
            {" "}
            <Text color={l.color} dimColor={l.dim}>
              {l.text.padEnd(inner)}
            </Text>{" "}
          </Text>
        ))}
      </Panel>
    </Box>
  );
}
