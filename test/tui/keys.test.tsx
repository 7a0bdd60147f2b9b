import { cleanup, render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { App } from "../../tui/app.tsx";
import { activeBindings, bindingFor, KEYS, type KeyContext } from "../../tui/keys.ts";
import { initialUi, type UiState } from "../../tui/ui-state.ts";
import { fixedStore, NOW } from "./fixtures.ts";
import { KEY, plain, waitFor } from "./helpers.ts";

const SIZE = { columns: 100, rows: 30 };
afterEach(() => cleanup());

function open(view: UiState["view"] = "hives") {
  const store = fixedStore();
  const app = render(<App store={store} size={SIZE} now={NOW} initialUi={{ ...initialUi, view }} />);
  const frame = () => plain(app.lastFrame());
  const press = async (keys: string, until: (f: string) => boolean, what: string) => {
    app.stdin.write(keys);
    await waitFor(() => until(frame()), 2_000, what);
  };
  return { app, store, frame, press };
}

/** The table row marked selected: its first cell. */
const selectedRow = (raw: string | undefined) => plain(raw).match(/│▸([\w-]+)/)?.[1];

describe("the key table", () => {
  it("the hint bar lists exactly the bindings active in the current context", () => {
    const { frame } = open("jobs");
    const hints = frame().split("\n").slice(-3).join("  ");
    const ctx: KeyContext = { mode: "browse", view: "jobs", hasRow: true, jobRunning: true };
    for (const b of activeBindings(ctx)) expect(hints).toContain(`${b.key} ${b.label}`);
    // Keys for other situations stay out of the bar.
    expect(hints).not.toContain("x stop");
    expect(hints).not.toContain("y yes");
  });

  it("every binding's keys are reachable: each row is the first match for its inputs somewhere", () => {
    const contexts: KeyContext[] = [
      { mode: "browse", view: "jobs", hasRow: true, jobRunning: true },
      { mode: "browse", view: "workers", hasRow: true, workerLive: true },
      { mode: "confirm", view: "jobs", hasRow: true },
      { mode: "form", view: "jobs", hasRow: true },
      { mode: "overlay", view: "jobs", hasRow: true },
    ];
    const named: Record<string, object> = { up: { upArrow: true }, down: { downArrow: true }, return: { return: true }, tab: { tab: true }, escape: { escape: true } };
    for (const b of KEYS) {
      const reachable = contexts.some((ctx) => b.inputs.every((i) => bindingFor(named[i] ? "" : i, named[i] ?? {}, ctx) === b));
      expect(reachable, `${b.key} ${b.label}`).toBe(true);
    }
  });
});

describe("keys drive the dashboard", () => {
  it("j/k and the arrows move the selection; 1-5 and tab switch views", async () => {
    const { app, frame, press } = open("workers");
    expect(selectedRow(app.lastFrame())).toBe("wrk-aaaaaa");
    await press("j", () => selectedRow(app.lastFrame()) === "wrk-bbbbbb", "j to move down");
    await press("j", () => true, "j at the bottom");
    expect(selectedRow(app.lastFrame())).toBe("wrk-bbbbbb");
    await press(KEY.up, () => selectedRow(app.lastFrame()) === "wrk-aaaaaa", "up arrow");
    await press("4", (f) => f.includes("Jobs (3)"), "4 for jobs");
    await press("5", (f) => f.includes("Devices (3)"), "5 for devices");
    expect(frame()).toContain("1-5 views");
    await press(KEY.tab, (f) => f.includes("Hives (2)"), "tab wraps to hives");
    await press("3", (f) => f.includes("Models (2)"), "3 for models");
    expect(frame()).toContain("tinyllama");
  });

  it("keys typed faster than a frame still count one by one", async () => {
    const { app, press } = open("jobs");
    await press("jj", () => selectedRow(app.lastFrame()) === "job-done0000000003", "two downs in one read");
  });

  it("c on a running job asks first; n keeps it running", async () => {
    const { frame, press } = open("jobs");
    await press("c", (f) => f.includes("Cancel infer job job-infer0000000001?"), "the confirm dialog");
    expect(frame()).toContain("y yes");
    expect(frame()).toContain("n/esc no");
    await press("n", (f) => !f.includes("Confirm"), "the dialog to close");
    expect(frame()).toMatch(/job-infer0000000001\s+infer\s+running/);
  });

  it("x on a worker asks to stop it; esc says no", async () => {
    const { press } = open("workers");
    await press("x", (f) => f.includes("Stop worker wrk-aaaaaa (demo-tiny) on localhost?"), "the confirm dialog");
    await press(KEY.escape, (f) => !f.includes("Stop worker"), "esc to close it");
  });

  it("c on a finished job does nothing (and is not offered)", async () => {
    const { frame, press } = open("jobs");
    await press("jj", (f) => f.includes("a all jobs") && !f.includes("c cancel"), "a finished job selected");
    await press("c", () => true, "c");
    expect(frame()).not.toContain("Confirm");
  });

  it("i opens a form with the model filled in; typing and backspace edit the prompt", async () => {
    const { frame, press } = open("models");
    await press("i", (f) => f.includes("Infer on localhost"), "the infer form");
    expect(frame()).toMatch(/model\s+demo-tiny/);
    await press("hellp", (f) => f.includes("prompt  hellp▌"), "typing");
    await press(KEY.backspace, (f) => f.includes("prompt  hell▌"), "backspace");
    // q is text inside a form, not quit.
    await press("q", (f) => f.includes("prompt  hellq▌"), "q typed");
    await press(KEY.escape, (f) => !f.includes("Infer on"), "esc to cancel the form");
  });

  it("a line pasted with its Enter fills the field and submits the form", async () => {
    const { frame, press } = open("hives");
    await press("d", (f) => f.includes("Download a model to localhost"), "the download form");
    // This store has no queen: the submit itself is refused, which the status line says.
    await press("demo:tiny\r", (f) => !f.includes("Download a model") && f.includes("NO_QUEEN"), "the form submitted");
    expect(frame()).not.toContain("source is required");
  });

  it("d asks for a source and refuses an empty one", async () => {
    const { frame, press } = open("hives");
    await press("d", (f) => f.includes("Download a model to localhost"), "the download form");
    await press(KEY.enter, (f) => f.includes("source is required"), "the error");
    expect(frame()).toContain("Download a model");
  });

  it("? shows every key of the table; enter shows a row's details", async () => {
    const { frame, press } = open("workers");
    await press("?", (f) => f.includes("Keys"), "help");
    for (const b of KEYS) expect(frame()).toContain(b.label);
    await press("q", (f) => !f.includes("╭─ Keys"), "q closes help, not the app");
    await press(KEY.enter, (f) => f.includes("Worker localhost/wrk-aaaaaa"), "details");
    expect(frame()).toMatch(/rss_bytes\s+125829120/);
  });

  it("a toggles the dashboard's own reads in the jobs view", async () => {
    const { frame, press } = open("jobs");
    expect(frame()).not.toContain("job-read0000000004");
    await press("a", (f) => f.includes("job-read0000000004"), "reads shown");
    expect(frame()).toContain("all jobs");
  });
});
