import { cleanup, render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { App } from "../../tui/app.tsx";
import { initialUi, type UiState } from "../../tui/ui-state.ts";
import { fixedStore, NOW } from "./fixtures.ts";
import { auditWarning } from "../../tui/store.ts";
import { plain, waitFor } from "./helpers.ts";

const SIZE = { columns: 80, rows: 24 };
const show = (view: UiState["view"]) => ({ ...initialUi, view });

afterEach(() => cleanup());

function frameOf(view: UiState["view"], size = SIZE) {
  const app = render(<App store={fixedStore()} size={size} now={NOW} initialUi={show(view)} />);
  return { app, frame: () => plain(app.lastFrame()) };
}

function expectFits(frame: string, size = SIZE) {
  const lines = frame.split("\n");
  expect(lines.length).toBeLessThanOrEqual(size.rows);
  for (const line of lines) expect([...line].length).toBeLessThanOrEqual(size.columns);
}

describe("dashboard views on fixed data (80×24)", () => {
  it("the header names the queen, version, connection and counts", () => {
    const { frame } = frameOf("hives");
    const header = frame().split("\n")[0];
    expect(header).toContain("http://127.0.0.1:7833");
    expect(header).toContain("v0.1.0");
    expect(header).toContain("● connected");
    expect(header).toContain("hives 1/2");
    expect(header).toContain("workers 2");
    // Two user jobs run; the worker_list read is not counted.
    expect(header).toContain("running 2");
  });

  it("a queen that cannot write its audit log: the header warns, the line under it says what and why", () => {
    const store = fixedStore();
    store.update({ auditWarning: auditWarning({ enabled: true, failure_action: "continue", failing: true, failed_writes: 3, error: "ENOSPC" }) });
    const app = render(<App store={store} size={SIZE} now={NOW} initialUi={show("hives")} />);
    const [header, tabs] = plain(app.lastFrame()).split("\n");
    expect(header).toContain("● connected  ⚠ audit log failing");
    expect(tabs).toContain("audit: ENOSPC ×3, changes unrecorded");
    expect(auditWarning({ enabled: true, failing: false, failed_writes: 3 })).toBeUndefined();
  });

  it("hives view: one row per hive with state and worker count", () => {
    const { frame } = frameOf("hives");
    expect(frame()).toMatch(/Hives \(2\)/);
    expect(frame()).toMatch(/localhost\s+online\s+2\s+embedded/);
    expect(frame()).toMatch(/gpu1\s+offline\s+0\s+1m35s ago/);
    expectFits(frame());
  });

  it("workers view: state, busy/slots and the model", () => {
    const { frame } = frameOf("workers");
    expect(frame()).toMatch(/wrk-aaaaaa\s+demo-tiny\s+ready\s+1\/2/);
    expect(frame()).toMatch(/wrk-bbbbbb\s+tinyllama\s+loading\s+0\/1/);
    expectFits(frame());
  });

  it("workers view: how long an idle worker has been idle and when it unloads (or that it stays)", () => {
    const store = fixedStore();
    const idle = { worker_id: "wrk-cccccc", hive_id: "localhost", model: "demo-b", device: "cpu:0", state: "ready" as const, slots: 4, busy: 0, restarts: 0 };
    store.update({ workers: [{ ...idle, on_demand: true, keep_alive_s: 300, idle_s: 125, unload_in_s: 175 }, { ...idle, worker_id: "wrk-dddddd", keep_alive_s: -1, idle_s: 40 }] });
    const app = render(<App store={store} size={SIZE} now={NOW} initialUi={show("workers")} />);
    const f = plain(app.lastFrame());
    expect(f).toMatch(/wrk-cccccc\s+demo-b\s+ready\s+0\/4\s+2m, unloads in 2m/);
    expect(f).toMatch(/wrk-dddddd\s+demo-b\s+ready\s+0\/4\s+40s, stays/);
  });

  it("models view: size and parameters in human units", () => {
    const { frame } = frameOf("models");
    expect(frame()).toMatch(/demo-tiny\s+localhost\s+1\.4 MiB\s+386K/);
    expect(frame()).toMatch(/tinyllama\s+localhost\s+562\.7 MiB\s+1\.1B/);
    expectFits(frame());
  });

  it("devices view: per hive, device id, free and total memory with a bar, software, engine", () => {
    const { frame } = frameOf("devices");
    expect(frame()).toMatch(/Devices \(3\)/);
    expect(frame()).toMatch(/localhost\s+cpu:0\s+48\.0 GiB\s+64\.0 GiB\s+\[██░░░░░░\] 25%\s+no\s+built-in/);
    expect(frame()).toMatch(/localhost\s+vulkan:0\s+2\.0 GiB\s+2\.0 GiB\s+\[░{8}\] 0%\s+yes\s+installed/);
    expect(frame()).toMatch(/gpu1\s+cuda:0\s+6\.0 GiB\s+24\.0 GiB\s+\[██████░░\] 75%\s+no\s+missing/);
    expectFits(frame());
    // a wide terminal adds the device's name
    const wide = frameOf("devices", { columns: 140, rows: 24 }).frame();
    expect(wide).toMatch(/cuda:0 .*NVIDIA GeForce RTX 3090/);
  });

  it("jobs view: newest first, the dashboard's own reads hidden", () => {
    const { frame } = frameOf("jobs");
    const rows = frame().split("\n").filter((l) => l.includes("job-"));
    const tableRows = rows.filter((l) => /job-\w+\s+\w+\s+(running|completed)/.test(l));
    expect(tableRows.map((l) => l.match(/job-\w+/)![0])).toEqual(["job-infer0000000001", "job-down0000000002", "job-done0000000003"]);
    expect(frame()).not.toContain("job-read0000000004");
    expect(frame()).toContain("reads hidden");
    expectFits(frame());
  });

  it("running jobs get panes side by side: tokens in one, a progress gauge in the other", () => {
    const { frame } = frameOf("hives");
    const f = frame();
    const title = f.split("\n").find((l) => l.includes("infer infer000 running"))!;
    // Both running panes share one row of the screen.
    expect(title).toContain("model_download down0000 running");
    expect(f).toContain("Once upon a time");
    expect(f).toMatch(/\[#+-+\] 50%/);
    expectFits(f);
  });

  it("disconnected: the header says so and when it retries; the error shows under it", () => {
    const store = fixedStore();
    store.update({ connection: "disconnected", error: "UNREACHABLE: cannot reach http://127.0.0.1:7833", retryAt: NOW + 4_000 });
    const app = render(<App store={store} size={SIZE} now={NOW} />);
    const f = plain(app.lastFrame());
    expect(f.split("\n")[0]).toContain("● disconnected, retry in 4s");
    expect(f.split("\n")[1]).toContain("UNREACHABLE");
  });

  it("reflows on resize: narrower shows fewer columns and panes, taller shows more rows", async () => {
    const store = fixedStore();
    const app = render(<App store={store} size={{ columns: 120, rows: 30 }} now={NOW} initialUi={show("workers")} />);
    const wide = plain(app.lastFrame());
    expect(wide).toContain("RESTARTS");
    expectFits(wide, { columns: 120, rows: 30 });
    app.rerender(<App store={store} size={{ columns: 50, rows: 20 }} now={NOW} initialUi={show("workers")} />);
    // Ink may draw the narrow table a frame before the pane under it: wait for the settled frame.
    await waitFor(() => !plain(app.lastFrame()).includes("RESTARTS") && plain(app.lastFrame()).includes("infer infer000"), 10_000, "the narrow frame");
    const narrow = plain(app.lastFrame());
    expect(narrow).toMatch(/WORKER\s+MODEL\s+STATE/);
    expectFits(narrow, { columns: 50, rows: 20 });
    // One pane fits 50 columns; its title says how many more there are (a running one and a finished one).
    expect(narrow).toMatch(/infer infer000 running 4 tok \+2/);
  });
});
