import { Box, useApp, useInput, useStdin, type Key } from "ink";
import { useEffect } from "react";
import { keyContext, runAction, selection } from "./actions.ts";
import { Header } from "./components/header.tsx";
import { HintBar, hintItems } from "./components/hint-bar.tsx";
import { JobPane } from "./components/job-pane.tsx";
import { ModalView } from "./components/modal.tsx";
import { ResourceTable } from "./components/resource-table.tsx";
import { Tabs } from "./components/tabs.tsx";
import { useDashboard } from "./hooks/use-dashboard.ts";
import { useTerminalSize } from "./hooks/use-terminal-size.ts";
import { useUiState } from "./hooks/use-ui-state.ts";
import { activeBindings, bindingFor } from "./keys.ts";
import { planLayout, type Size } from "./layout.ts";
import type { PaneState } from "./pane-log.ts";
import type { DashboardStore } from "./store.ts";
import type { UiState } from "./ui-state.ts";

export interface AppProps {
  store: DashboardStore;
  /** Pins the terminal size (tests); otherwise it follows the terminal. */
  size?: Size;
  /** Pins the clock (tests), for stable ages and durations. */
  now?: number;
  initialUi?: UiState;
}

/** The dashboard: header, view tabs, the selected resource list, job panes, the hint bar. */
export function App({ store, size: forcedSize, now: fixedNow, initialUi }: AppProps) {
  const state = useDashboard(store);
  const size = useTerminalSize(forcedSize);
  const [ui, dispatch, getUi] = useUiState(initialUi);
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const now = fixedNow ?? Date.now();

  const onKey = (input: string, key: Key) => {
    const env = () => ({ ui: getUi(), state: store.getSnapshot(), store, dispatch, exit: () => exit() });
    const press = (text: string, k: Partial<Key>) => {
      const e = env();
      const binding = bindingFor(text, k, keyContext(e.ui, e.state));
      if (binding) return runAction(binding, text, e);
      if (e.ui.modal?.kind !== "form") return;
      if (k.backspace || k.delete) dispatch({ type: "backspace" });
      else if (text && !k.ctrl && !k.meta) dispatch({ type: "type", text: text.replace(/[\u0000-\u001f\u007f]/g, "") });
    };
    const named = key.upArrow || key.downArrow || key.return || key.tab || key.escape || key.backspace || key.delete;
    if (named || input.length <= 1) return press(input, key);
    // Keys typed faster than a frame (or pasted) arrive as one chunk: "jj", "hello\r".
    for (const part of splitChunk(input)) {
      if (part === "\r" || part === "\n") press("", { return: true });
      else if (part === "\t") press("", { tab: true });
      else if (part === "\u007f" || part === "\b") press("", { backspace: true });
      else if (getUi().modal?.kind === "form") press(part, {});
      else for (const ch of part) press(ch, {});
    }
  };
  // Without raw mode (stdin not a TTY) useInput would throw: the dashboard then only shows.
  useInput(onKey, { isActive: isRawModeSupported === true });

  // Devices are read only while their view is shown: listing them probes Vulkan engines.
  useEffect(() => store.watchDevices(ui.view === "devices"), [store, ui.view]);

  const ctx = keyContext(ui, state);
  const { data, index } = selection(ui, state);
  const layout = planLayout(size, hintItems(activeBindings(ctx)), state.panes.length);
  const shown = pickPanes(state.panes, state.pinned, layout.paneWidths.length);
  const hidden = state.panes.length - shown.length;
  const note = ui.view === "jobs" ? (ui.showReads ? "all jobs" : "reads hidden") : undefined;

  return (
    <Box flexDirection="column" width={layout.columns} height={layout.rows} overflow="hidden">
      <Header state={state} width={layout.columns} now={now} />
      <Tabs view={ui.view} state={state} width={layout.columns} now={now} />
      <ResourceTable data={data} index={index} width={layout.columns} height={layout.tableHeight} now={now} stale={state.connection !== "connected"} note={note} />
      {layout.paneHeight > 0 ? (
        <Box flexDirection="row" width={layout.columns} height={layout.paneHeight} overflow="hidden">
          {shown.map((pane, i) => (
            <JobPane key={pane.jobId} pane={pane} width={layout.paneWidths[i]} height={layout.paneHeight} pinned={pane.jobId === state.pinned} more={i === shown.length - 1 ? hidden : 0} />
          ))}
        </Box>
      ) : null}
      <HintBar lines={layout.hintLines} width={layout.columns} />
      {ui.modal ? <ModalView modal={ui.modal} size={{ columns: layout.columns, rows: layout.rows }} /> : null}
    </Box>
  );
}

/** Splits a chunk of input into runs of text and single control keys. */
export function splitChunk(input: string): string[] {
  return input.match(/[\r\n\t\u007f\b]|[^\r\n\t\u007f\b]+/g) ?? [];
}

/**
 * The panes that fit: the pinned one, then running ones, then the most recent. Shown in the
 * order they were opened (pinned first), so a pane does not jump when its job ends.
 */
export function pickPanes(panes: PaneState[], pinned: string | undefined, count: number): PaneState[] {
  const rank = (p: PaneState) => (p.jobId === pinned ? 0 : p.outcome ? 2 : 1);
  const chosen = [...panes].sort((a, b) => rank(a) - rank(b) || b.openedAt - a.openedAt).slice(0, count);
  return chosen.sort((a, b) => Number(b.jobId === pinned) - Number(a.jobId === pinned) || a.openedAt - b.openedAt);
}
