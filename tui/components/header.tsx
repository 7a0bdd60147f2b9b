import { Box, Text } from "ink";
import { isFinished } from "../../src/protocol/jobs.ts";
import { READ_OPERATIONS, type DashboardState } from "../store.ts";

/** The top line: which queen, its version, whether we reach it, and the counts that matter. */
export function Header({ state, width, now }: { state: DashboardState; width: number; now: number }) {
  const online = state.hives.filter((h) => h.state === "online").length;
  const workers = state.workers.filter((w) => w.state !== "stopped").length;
  const running = state.jobs.filter((j) => !isFinished(j.state) && !READ_OPERATIONS.has(j.operation)).length;
  const conn =
    state.connection === "connected"
      ? { dot: "●", text: "connected", color: "green" }
      : state.connection === "connecting"
        ? { dot: "○", text: "connecting", color: "yellow" }
        : { dot: "●", text: `disconnected${state.retryAt ? `, retry in ${Math.max(0, Math.ceil((state.retryAt - now) / 1000))}s` : ""}`, color: "red" };
  return (
    <Box width={width} height={1} overflow="hidden">
      <Text wrap="truncate">
        <Text bold color="yellow">
          rbee
        </Text>
        <Text> {state.queenUrl}</Text>
        {state.version ? <Text dimColor> v{state.version}</Text> : null}
        <Text color={conn.color}>
          {" "}
          {conn.dot} {conn.text}
        </Text>
        {/* Before the counts, so a narrow terminal still shows it (the tabs line says more). */}
        {state.auditWarning ? <Text color="red" bold>{"  "}⚠ audit log failing</Text> : null}
        <Text>
          {"  "}hives {online}/{state.hives.length}
          {"  "}workers {workers}
          {"  "}running {running}
        </Text>
      </Text>
    </Box>
  );
}
