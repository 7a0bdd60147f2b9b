import { describe, expect, it } from "vitest";
import { planLayout } from "../../tui/layout.ts";
import { applyEvent, endPane, newPane, sanitize } from "../../tui/pane-log.ts";
import { paneLines } from "../../tui/pane-lines.ts";

const narration = (human: string, progress?: { current: number; total: number; unit: string }) =>
  ({ kind: "narration", ts: 0, level: "info", actor: "hive", action: "a", human, ...(progress ? { progress } : {}) }) as const;

describe("job panes", () => {
  it("tokens join into one text; escape sequences in tokens cannot reach the terminal", () => {
    const pane = newPane("job-1", "infer");
    for (const text of ["Hel", "lo\u001b[2J", "\tworld"]) applyEvent(pane, { kind: "token", text }, 1);
    expect(pane.entries).toEqual([{ kind: "text", text: "Hello·[2J  world" }]);
    expect(sanitize("a\r\nb\u0007")).toBe("a\nb·");
  });

  it("progress narration moves the gauge and replaces its own line instead of piling up", () => {
    const pane = newPane("job-2", "model_download");
    applyEvent(pane, narration("resolving"), 1);
    for (let i = 1; i <= 50; i++) applyEvent(pane, narration(`downloading ${i}%`, { current: i, total: 100, unit: "bytes" }), i + 1);
    expect(pane.entries.map((e) => e.text)).toEqual(["resolving", "downloading 50%"]);
    expect(pane.lastEventId).toBe(51);
    const lines = paneLines(pane, 40, 5).map((l) => l.text);
    expect(lines.at(-1)).toMatch(/^\[#+-+\] 50% 50 B\/100 B$/);
  });

  it("debug narration (a worker's own log lines) stays out of the pane", () => {
    const pane = newPane("job-4", "infer");
    applyEvent(pane, { ...narration("engine_unpack: Unpacking"), level: "debug" }, 1);
    applyEvent(pane, narration("worker ready"), 2);
    expect(pane.entries.map((e) => e.text)).toEqual(["worker ready"]);
  });

  it("ends once, with the stream's own marker; only the newest lines fit", () => {
    const pane = newPane("job-3", "infer");
    applyEvent(pane, { kind: "token", text: "x".repeat(100) }, 1);
    endPane(pane, { state: "cancelled" });
    endPane(pane, { state: "completed" });
    expect(pane.outcome).toBe("cancelled");
    const lines = paneLines(pane, 20, 3).map((l) => l.text);
    expect(lines).toEqual(["x".repeat(20), "x".repeat(20), "[CANCELLED]"]);
  });
});

describe("layout", () => {
  it("80×24 with two panes: everything adds up to the screen, panes side by side", () => {
    const l = planLayout({ columns: 80, rows: 24 }, ["1-4 views", "q quit"], 2);
    expect(2 + l.tableHeight + l.paneHeight + l.hintLines.length).toBe(24);
    expect(l.paneWidths).toEqual([40, 40]);
  });

  it("a tiny terminal drops the panes before the table", () => {
    const l = planLayout({ columns: 40, rows: 10 }, ["q quit"], 3);
    expect(l.paneHeight).toBe(0);
    expect(l.paneWidths).toEqual([]);
  });
});
