import { Box, Text } from "ink";
import type { ReactNode } from "react";
import { cut } from "../views/columns.ts";

export interface PanelProps {
  title: string;
  width: number;
  height: number;
  color?: string;
  children?: ReactNode;
}

/**
 * A box with its title in the top border, as k9s draws them. Fixed width and height with
 * overflow hidden, so side-by-side panels never push each other (ink draws a cut line one
 * column too wide otherwise).
 */
export function Panel({ title, width, height, color, children }: PanelProps) {
  const inner = Math.max(0, width - 2);
  const label = cut(` ${title} `, Math.max(0, inner - 1));
  const top = `╭─${label}${"─".repeat(Math.max(0, inner - 1 - label.length))}╮`;
  return (
    <Box flexDirection="column" width={width} height={height} flexShrink={0} overflow="hidden">
      <Text color={color} wrap="truncate">
        {top}
      </Text>
      <Box borderStyle="round" borderTop={false} borderColor={color} width={width} height={Math.max(1, height - 1)} flexDirection="column" overflow="hidden">
        {children}
      </Box>
    </Box>
  );
}
