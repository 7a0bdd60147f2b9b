import { Box, Text } from "ink";
import type { KeyBinding } from "../keys.ts";

/** "key label" items as the hint bar shows them; the layout wraps them into lines. */
export function hintItems(bindings: KeyBinding[]): string[] {
  return bindings.map((b) => `${b.key} ${b.label}`);
}

/** The bottom lines: every key that works right now, straight from the key table. */
export function HintBar({ lines, width }: { lines: string[][]; width: number }) {
  return (
    <Box flexDirection="column" width={width} height={lines.length} overflow="hidden">
      {lines.map((items, i) => (
        <Text key={i} wrap="truncate">
          {items.map((item, j) => {
            const cut = item.indexOf(" ");
            return (
              <Text key={j}>
                {j ? "  " : ""}
                <Text bold color="cyan">
                  {item.slice(0, cut)}
                </Text>
                <Text dimColor>{item.slice(cut)}</Text>
              </Text>
            );
          })}
        </Text>
      ))}
    </Box>
  );
}
