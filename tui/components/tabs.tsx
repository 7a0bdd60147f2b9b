import { Box, Text } from "ink";
import type { ViewName } from "../keys.ts";
import type { DashboardState } from "../store.ts";
import { VIEWS } from "../views/index.ts";

const NOTICE_MS = 6_000;

/** The view tabs (1-4), then the latest notice or, while disconnected, why; else a failing audit log. */
export function Tabs({ view, state, width, now }: { view: ViewName; state: DashboardState; width: number; now: number }) {
  const notice = state.notice && now - state.notice.at < NOTICE_MS ? state.notice : undefined;
  const audit = state.auditWarning ? { text: state.auditWarning, level: "error" as const } : undefined;
  const message = state.connection === "disconnected" ? { text: state.error ?? "", level: "error" as const } : (notice ?? audit);
  return (
    <Box width={width} height={1} overflow="hidden">
      <Text wrap="truncate">
        {VIEWS.map((v, i) => (
          <Text key={v} inverse={v === view} bold={v === view}>
            {` ${i + 1} ${v} `}
          </Text>
        ))}
        {message ? <Text color={message.level === "error" ? "red" : "green"}>{`  ${message.text}`}</Text> : null}
      </Text>
    </Box>
  );
}
