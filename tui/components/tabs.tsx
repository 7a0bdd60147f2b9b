import { Box, Text } from "ink";
import type { ViewName } from "../keys.ts";
import type { DashboardState } from "../store.ts";
import { VIEWS } from "../views/index.ts";

const NOTICE_MS = 6_000;

/** The view tabs (1-5; only the current one named when a message needs the room), then the latest notice or, while disconnected, why; else a failing audit log. */
export function Tabs({ view, state, width, now }: { view: ViewName; state: DashboardState; width: number; now: number }) {
  const notice = state.notice && now - state.notice.at < NOTICE_MS ? state.notice : undefined;
  const audit = state.auditWarning ? { text: state.auditWarning, level: "error" as const } : undefined;
  const message = state.connection === "disconnected" ? { text: state.error ?? "", level: "error" as const } : (notice ?? audit);
  // A message that would not fit beside every tab's name leaves only the current one named.
  const compact = message !== undefined && VIEWS.reduce((n, v) => n + v.length + 4, 2 + message.text.length) > width;
  return (
    <Box width={width} height={1} overflow="hidden">
      <Text wrap="truncate">
        {VIEWS.map((v, i) => (
          <Text key={v} inverse={v === view} bold={v === view}>
            {v === view || !compact ? ` ${i + 1} ${v} ` : ` ${i + 1} `}
          </Text>
        ))}
        {message ? <Text color={message.level === "error" ? "red" : "green"}>{`  ${message.text}`}</Text> : null}
      </Text>
    </Box>
  );
}
